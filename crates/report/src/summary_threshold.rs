//! A threshold's lines in `summary.json`: its verdict, and for a windowed threshold its
//! window and the worst one the run had (schema 4).

use loadgen_judge::ThresholdResult;
use loadgen_scenario::Scenario;
use serde::Serialize;

/// A threshold's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdSummary {
    /// Metric key as written.
    pub metric: String,
    /// Expression as written.
    pub expression: String,
    /// Passed?
    pub passed: bool,
    /// Measured value (`null`: no data).
    pub measured: Option<f64>,
    /// Limit.
    pub limit: f64,
    /// Unit of both: `ms`, `ratio`, `/s` or `count`.
    pub unit: &'static str,
    /// Interrupted iterations counted in `measured` as failed requests (`errors` only).
    pub interrupted: u64,
    /// Passed, but on a saturated generator: the pass proves nothing.
    pub untrusted: bool,
    /// Intervals that start before this instant (s from the run's start) were not judged.
    pub from_seconds: f64,
    /// A windowed threshold's window and its worst instance (`null`: judged on the whole
    /// run).
    pub window: Option<WindowSummary>,
}

/// A windowed threshold's window (`over 5m`, `for 5m`) and the worst one the run had.
#[derive(Debug, Clone, Serialize)]
pub struct WindowSummary {
    /// `over` or `for`.
    pub kind: &'static str,
    /// Its length as written (s).
    pub seconds: f64,
    /// The worst window (`for`: the longest broken stretch, or the worst interval when none
    /// was broken); `null` when no window had data. Its value is `measured`.
    pub worst: Option<WindowSpan>,
}

/// Where a window lies, in seconds from the run's start.
#[derive(Debug, Clone, Serialize)]
pub struct WindowSpan {
    /// Start (s).
    pub start: f64,
    /// End (s).
    pub end: f64,
    /// Its value (as `measured`).
    pub value: Option<f64>,
    /// `for`: how long the condition was broken on end there (s); `over`: 0.
    pub broken_seconds: f64,
}

impl ThresholdSummary {
    /// The measured value as `show` writes it, "no data" without one, and the interrupted
    /// requests it counts (`100.000% (5 interrupted)`).
    /// A windowed one names its worst window (`20.000% in 4.0s–6.0s`).
    pub fn measured_text(&self, show: impl Fn(f64) -> String) -> String {
        let shown = match self.measured {
            None => "no data".into(),
            Some(v) if self.interrupted > 0 => {
                format!("{} ({} interrupted)", show(v), self.interrupted)
            }
            Some(v) => show(v),
        };
        match self
            .window
            .as_ref()
            .and_then(|w| w.worst.as_ref().map(|s| (w.kind, s)))
        {
            Some((kind, s)) => format!("{shown} {}", describe(kind, s)),
            None => shown,
        }
    }
}

fn describe(kind: &str, s: &WindowSpan) -> String {
    let span = format!("{:.1}s–{:.1}s", s.start, s.end);
    match kind {
        "for" if s.broken_seconds > 0.0 => format!("broken for {:.1}s in {span}", s.broken_seconds),
        "for" => format!("worst interval {span}"),
        _ => format!("in {span}"),
    }
}

/// The window of the threshold `r` judged (found by key and expression in `sc`).
pub(crate) fn window_of(sc: &Scenario, r: &ThresholdResult) -> Option<WindowSummary> {
    let t = sc
        .thresholds
        .iter()
        .find(|t| t.key == r.key && t.expression == r.expression)?;
    let w = t.window?;
    Some(WindowSummary {
        kind: w.kind.word(),
        seconds: w.length.as_secs_f64(),
        worst: r.window.map(|x| WindowSpan {
            start: x.start_s,
            end: x.end_s,
            value: r.measured,
            broken_seconds: x.broken_s,
        }),
    })
}
