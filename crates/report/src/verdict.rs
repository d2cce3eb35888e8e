//! The verdict of a run and the exit code it gives: one judgement, made once, that the
//! summary files, the terminal and the process exit code all repeat.
//!
//! A verdict never passes on no evidence: a run with no threshold is *not judged* (exit 0, but
//! never "every threshold held"), and a run that covers less than its plan (a lost worker)
//! fails whatever its thresholds say.

use loadgen_judge::ThresholdResult;

/// What a run proved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every threshold held.
    Passed,
    /// There was no threshold: nothing was checked.
    NotJudged,
    /// A threshold failed, or the run is incomplete.
    Failed,
    /// Stopped by SIGINT/SIGTERM: the results are partial and judge nothing.
    Interrupted,
}

impl Verdict {
    /// Judges a finished run: `interrupted` by a signal, `incomplete` when part of the
    /// planned load was never sent or never reported (a lost worker).
    pub fn judge(results: &[ThresholdResult], interrupted: bool, incomplete: bool) -> Verdict {
        if interrupted {
            Verdict::Interrupted
        } else if incomplete || results.iter().any(|r| !r.passed) {
            Verdict::Failed
        } else if results.is_empty() {
            Verdict::NotJudged
        } else {
            Verdict::Passed
        }
    }

    /// The name in `summary.json`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::NotJudged => "not_judged",
            Verdict::Failed => "failed",
            Verdict::Interrupted => "interrupted",
        }
    }

    /// The process exit code (README, "Exit codes"): 0 passed or not judged, 3 failed, 130
    /// interrupted.
    pub const fn exit_code(self) -> u8 {
        match self {
            Verdict::Passed | Verdict::NotJudged => 0,
            Verdict::Failed => 3,
            Verdict::Interrupted => 130,
        }
    }
}

/// A verdict with the reason a run is incomplete, when it is: what a summary is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// The verdict.
    pub verdict: Verdict,
    /// Why the run covers less than its plan (`a worker was lost: segment 2/3 …`).
    pub incomplete: Option<String>,
}

impl Judgement {
    /// Judges a finished run (see [`Verdict::judge`]).
    pub fn of(results: &[ThresholdResult], interrupted: bool, incomplete: Option<String>) -> Self {
        Judgement {
            verdict: Verdict::judge(results, interrupted, incomplete.is_some()),
            incomplete,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(passed: bool) -> ThresholdResult {
        ThresholdResult {
            key: "errors".into(),
            expression: "rate < 1%".into(),
            passed,
            measured: Some(0.0),
            limit: 0.01,
            unit: "ratio",
            interrupted: 0,
            window: None,
            from_s: 0.0,
        }
    }

    #[test]
    fn no_threshold_is_not_a_pass_and_an_incomplete_run_fails() {
        assert_eq!(Verdict::judge(&[], false, false), Verdict::NotJudged);
        assert_eq!(Verdict::judge(&[], false, false).exit_code(), 0);
        assert_eq!(
            Verdict::judge(&[result(true)], false, false),
            Verdict::Passed
        );
        assert_eq!(
            Verdict::judge(&[result(true), result(false)], false, false),
            Verdict::Failed
        );
        assert_eq!(
            Verdict::judge(&[result(true)], false, true),
            Verdict::Failed
        );
        assert_eq!(Verdict::judge(&[], false, true).exit_code(), 3);
        assert_eq!(
            Verdict::judge(&[result(false)], true, true),
            Verdict::Interrupted
        );
        assert_eq!(Verdict::Interrupted.exit_code(), 130);
        assert_eq!(Verdict::NotJudged.name(), "not_judged");
    }
}
