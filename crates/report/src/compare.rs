//! `loadgen compare BASELINE NEW`: per-step deltas between two runs' `summary.json`, and
//! regression gates such as `p(99) > +10%` ("fail if p99 grew by more than 10%").

use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use serde_json::Value;

/// A statistic compared between runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    /// A latency percentile: 50, 90, 95, 99 or 99.9.
    Percentile(f64),
    /// Mean latency.
    Avg,
    /// Requests per second.
    Rate,
    /// Error rate (0..1).
    ErrorRate,
}

impl Stat {
    fn label(self) -> String {
        match self {
            Stat::Percentile(p) => format!("p({p})"),
            Stat::Avg => "avg".into(),
            Stat::Rate => "rate".into(),
            Stat::ErrorRate => "error_rate".into(),
        }
    }

    fn of(self, step: &Value) -> Option<f64> {
        let lat = &step["latency"];
        match self {
            Stat::Percentile(p) => {
                const KEYS: [(f64, &str); 5] = [
                    (50.0, "p50"),
                    (90.0, "p90"),
                    (95.0, "p95"),
                    (99.0, "p99"),
                    (99.9, "p999"),
                ];
                let key = KEYS.iter().find(|(q, _)| *q == p)?.1;
                lat[key].as_f64()
            }
            Stat::Avg => lat["mean"].as_f64(),
            Stat::Rate => step["rate"].as_f64(),
            Stat::ErrorRate => step["error_rate"].as_f64(),
        }
    }
}

/// `p(99) > +10%`: fail when the statistic moved past the bound. The sign gives the
/// direction (`> +10%` = grew more than 10%, `< -5%` = fell more than 5%); error rates use
/// absolute points (`error_rate > +0.5%` = 0.5 percentage points).
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// As written.
    pub text: String,
    /// What is compared.
    pub stat: Stat,
    /// `true` for `>`.
    pub greater: bool,
    /// Bound as a fraction (0.10 for 10%).
    pub bound: f64,
}

/// Why a `--fail-if` expression does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GateError {
    #[error("`{0}`: expected e.g. `p(99) > +10%` or `rate < -5%`")]
    NoComparison(String),
    #[error("`{0}`: not a percentile")]
    NotAPercentile(String),
    #[error("`{0}`: compare p(50), p(90), p(95), p(99) or p(99.9)")]
    UnsupportedPercentile(String),
    #[error("`{0}`: compare p(N), avg, rate or error_rate")]
    UnknownStat(String),
    #[error("`{0}`: expected a signed percentage such as +10%")]
    NotAPercentage(String),
}

/// Parses a `--fail-if` expression.
pub fn parse_gate(text: &str) -> Result<Gate, GateError> {
    let t = text.trim();
    let (lhs, greater, rhs) = if let Some((l, r)) = t.split_once('>') {
        (l, true, r)
    } else if let Some((l, r)) = t.split_once('<') {
        (l, false, r)
    } else {
        return Err(GateError::NoComparison(t.to_string()));
    };
    let stat = match lhs.trim() {
        "avg" => Stat::Avg,
        "rate" => Stat::Rate,
        "error_rate" => Stat::ErrorRate,
        p if p.starts_with("p(") && p.ends_with(')') => {
            let n: f64 = p[2..p.len() - 1]
                .trim()
                .parse()
                .map_err(|_| GateError::NotAPercentile(p.to_string()))?;
            if ![50.0, 90.0, 95.0, 99.0, 99.9].contains(&n) {
                return Err(GateError::UnsupportedPercentile(p.to_string()));
            }
            Stat::Percentile(n)
        }
        other => return Err(GateError::UnknownStat(other.to_string())),
    };
    let pct = rhs
        .trim()
        .strip_suffix('%')
        .and_then(|n| n.trim().parse::<f64>().ok())
        .ok_or_else(|| GateError::NotAPercentage(rhs.trim().to_string()))?;
    Ok(Gate {
        text: t.to_string(),
        stat,
        greater,
        bound: pct / 100.0,
    })
}

/// One gate breached on one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Breach {
    /// `workload/step`.
    pub step: String,
    /// The gate as written.
    pub gate: String,
    /// What the gate compares (for the units of the values).
    pub stat: Stat,
    /// Baseline value.
    pub before: f64,
    /// New value.
    pub after: f64,
}

impl std::fmt::Display for Breach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} (baseline {}, new {}, {})",
            self.step,
            self.gate,
            self.stat.show(self.before),
            self.stat.show(self.after),
            self.stat.change(self.before, self.after)
        )
    }
}

impl Stat {
    /// A value with its unit: `12.34ms`, `950.0 req/s`, `0.120%`.
    pub fn show(self, v: f64) -> String {
        match self {
            Stat::Rate => format!("{v:.1} req/s"),
            Stat::ErrorRate => format!("{:.3}%", v * 100.0),
            Stat::Percentile(_) | Stat::Avg => format!("{v:.2}ms"),
        }
    }

    /// The move from `x` to `y`: percentage points for error rates, percent otherwise.
    fn change(self, x: f64, y: f64) -> String {
        if self == Stat::ErrorRate {
            format!("{:+.3} pts", (y - x) * 100.0)
        } else if x > 0.0 {
            format!("{:+.1}%", (y - x) / x * 100.0)
        } else {
            "n/a".into()
        }
    }
}

/// What comparing two summaries found.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The table of deltas, for people.
    pub table: String,
    /// Gates that failed.
    pub breaches: Vec<Breach>,
    /// Steps of the baseline (`workload/step`, with their baseline count) that the new run
    /// lacks or that sent nothing there: nothing was measured, so nothing can be compared.
    pub missing: Vec<(String, u64)>,
}

impl Comparison {
    /// The lines `loadgen compare` prints after the table, and whether the new run failed:
    /// a breached gate fails it, and so does a missing step unless `allow_missing` (nothing
    /// measured is no evidence of no regression). `gates`: how many gates were given.
    pub fn verdict(&self, gates: usize, allow_missing: bool) -> (Vec<String>, bool) {
        let mut lines = Vec::new();
        for (step, n) in &self.missing {
            let (mark, note) = if allow_missing {
                ("!", "; allowed by --allow-missing")
            } else {
                ("✗", "")
            };
            lines.push(format!(
                "{mark} {step}: missing in the new run (baseline {n} requests, new none){note}"
            ));
        }
        lines.extend(self.breaches.iter().map(|b| format!("✗ {b}")));
        let failed = !self.breaches.is_empty() || (!self.missing.is_empty() && !allow_missing);
        if !failed && gates > 0 {
            lines.push("no regression beyond the gates".into());
        }
        (lines, failed)
    }
}

/// Why a JSON value is not a `summary.json` this loadgen can compare.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SummaryError {
    #[error(
        "not a loadgen summary: found {0}, expected an object with `schema_version` and `steps`"
    )]
    NotAnObject(&'static str),
    #[error(
        "not a loadgen summary this version reads: schema_version {found}; this loadgen reads versions 1 to {expected} (written by a newer loadgen?)"
    )]
    SchemaVersion { found: u64, expected: u32 },
    #[error("not a loadgen summary: no `schema_version`")]
    NoSchemaVersion,
    #[error("not a loadgen summary: no `steps` array")]
    NoSteps,
    #[error("not a loadgen summary: a step without workload, step and count: {0}")]
    BadStep(String),
}

/// Why a results folder's summary cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum ReadSummaryError {
    /// The file cannot be read.
    #[error("reading {}: {cause}", .file.display())]
    Read {
        /// `summary.json` (or the file given).
        file: std::path::PathBuf,
        /// Why.
        cause: std::io::Error,
    },
    /// It is not JSON.
    #[error("{} is not a loadgen summary: {cause}", .file.display())]
    Json {
        /// The file.
        file: std::path::PathBuf,
        /// Why.
        cause: serde_json::Error,
    },
    /// It is JSON but not a summary this loadgen reads.
    #[error("{}: {cause}", .file.display())]
    Summary {
        /// The file.
        file: std::path::PathBuf,
        /// Why.
        cause: SummaryError,
    },
}

/// Reads the `summary.json` of a results folder (or the file itself) and checks it.
pub fn read_summary(path: &std::path::Path) -> Result<Value, ReadSummaryError> {
    let file = if path.is_dir() {
        path.join("summary.json")
    } else {
        path.to_path_buf()
    };
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(cause) => return Err(ReadSummaryError::Read { file, cause }),
    };
    let value: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(cause) => return Err(ReadSummaryError::Json { file, cause }),
    };
    match check_summary(&value) {
        Ok(()) => Ok(value),
        Err(cause) => Err(ReadSummaryError::Summary { file, cause }),
    }
}

/// Checks that `v` is a `summary.json` this loadgen writes: an object with the
/// `schema_version` it knows and a `steps` array of named steps. Says what is wrong if not.
pub fn check_summary(v: &Value) -> Result<(), SummaryError> {
    let kind = match v {
        Value::Object(_) => None,
        Value::Array(_) => Some("an array"),
        Value::Null => Some("null"),
        _ => Some("a single value"),
    };
    if let Some(kind) = kind {
        return Err(SummaryError::NotAnObject(kind));
    }
    match v["schema_version"].as_u64() {
        // Version 1 has every field compare reads (steps, their counts, latency, rates).
        Some(n) if (1..=u64::from(crate::SCHEMA_VERSION)).contains(&n) => {}
        Some(n) => {
            return Err(SummaryError::SchemaVersion {
                found: n,
                expected: crate::SCHEMA_VERSION,
            })
        }
        None => return Err(SummaryError::NoSchemaVersion),
    }
    let steps = v["steps"].as_array().ok_or(SummaryError::NoSteps)?;
    for s in steps {
        if !(s["workload"].is_string() && s["step"].is_string() && s["count"].is_u64()) {
            return Err(SummaryError::BadStep(s.to_string()));
        }
    }
    Ok(())
}

fn step_key(s: &Value) -> String {
    format!(
        "{}/{}",
        s["workload"].as_str().unwrap_or(""),
        s["step"].as_str().unwrap_or("")
    )
}

/// Compares two summaries (checked with [`check_summary`]): a table of deltas, the gates
/// that failed and the baseline steps the new run lacks.
pub fn compare(baseline: &Value, new: &Value, gates: &[Gate]) -> Comparison {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(["step", "stat", "baseline", "new", "change"]);
    let mut breaches = Vec::new();
    let empty = Vec::new();
    let base_steps = baseline["steps"].as_array().unwrap_or(&empty);
    let new_steps = new["steps"].as_array().unwrap_or(&empty);
    let count = |s: &Value| s["count"].as_u64().unwrap_or(0);
    let missing: Vec<(String, u64)> = base_steps
        .iter()
        .filter(|b| count(b) > 0)
        .filter(|b| {
            let key = step_key(b);
            !new_steps.iter().any(|s| step_key(s) == key && count(s) > 0)
        })
        .map(|b| (step_key(b), count(b)))
        .collect();
    for (key, n) in &missing {
        t.add_row(vec![
            key.clone(),
            "count".into(),
            n.to_string(),
            "(missing in new)".into(),
            String::new(),
        ]);
    }
    for s in new_steps {
        let key = step_key(s);
        if missing.iter().any(|(k, _)| *k == key) {
            continue;
        }
        let Some(b) = base_steps.iter().find(|b| step_key(b) == key) else {
            t.add_row(vec![
                key.clone(),
                "-".into(),
                "(not in baseline)".into(),
                String::new(),
                String::new(),
            ]);
            continue;
        };
        for stat in [
            Stat::Percentile(50.0),
            Stat::Percentile(95.0),
            Stat::Percentile(99.0),
            Stat::Rate,
            Stat::ErrorRate,
        ] {
            let (Some(x), Some(y)) = (stat.of(b), stat.of(s)) else {
                continue;
            };
            t.add_row(vec![
                key.clone(),
                stat.label(),
                stat.show(x),
                stat.show(y),
                stat.change(x, y),
            ]);
        }
        for g in gates {
            let (Some(x), Some(y)) = (g.stat.of(b), g.stat.of(s)) else {
                continue;
            };
            let moved = if g.stat == Stat::ErrorRate {
                y - x
            } else if x > 0.0 {
                (y - x) / x
            } else {
                0.0
            };
            let breached = if g.greater {
                moved > g.bound
            } else {
                moved < g.bound
            };
            if breached {
                breaches.push(Breach {
                    step: key.clone(),
                    gate: g.text.clone(),
                    stat: g.stat,
                    before: x,
                    after: y,
                });
            }
        }
    }
    Comparison {
        table: t.to_string(),
        breaches,
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn step(name: &str, count: u64, p99: f64, rate: f64, err: f64) -> Value {
        json!({ "workload": "w", "step": name, "count": count, "rate": rate, "error_rate": err,
            "latency": { "p50": 1.0, "p90": 2.0, "p95": 3.0, "p99": p99, "p999": p99, "mean": 1.0 } })
    }

    fn summary(p99: f64, rate: f64, err: f64) -> Value {
        json!({ "schema_version": 1, "steps": [step("s", 100, p99, rate, err)] })
    }

    #[test]
    fn gates_fire_on_regressions_only() {
        let gates = [
            parse_gate("p(99) > +10%").unwrap(),
            parse_gate("rate < -5%").unwrap(),
            parse_gate("error_rate > +0.5%").unwrap(),
        ];
        let c = compare(
            &summary(10.0, 100.0, 0.0),
            &summary(10.5, 99.0, 0.001),
            &gates,
        );
        assert!(c.breaches.is_empty() && c.missing.is_empty(), "{c:?}");
        let c = compare(
            &summary(10.0, 100.0, 0.0),
            &summary(12.0, 90.0, 0.01),
            &gates,
        );
        assert_eq!(c.breaches.len(), 3, "{c:?}");
        assert!(c.table.contains("+20.0%"), "{}", c.table);
        assert!(parse_gate("p(98) > +1%").is_err());
        assert!(parse_gate("p(99) > 10").is_err());
    }

    #[test]
    fn breaches_show_their_values_with_units() {
        let gates = [
            parse_gate("p(99) > +10%").unwrap(),
            parse_gate("rate < -5%").unwrap(),
            parse_gate("error_rate > +0.5%").unwrap(),
        ];
        let c = compare(
            &summary(10.0, 100.0, 0.0),
            &summary(12.0, 90.0, 0.01),
            &gates,
        );
        let lines: Vec<String> = c.breaches.iter().map(|b| b.to_string()).collect();
        assert_eq!(
            lines,
            [
                "w/s: p(99) > +10% (baseline 10.00ms, new 12.00ms, +20.0%)",
                "w/s: rate < -5% (baseline 100.0 req/s, new 90.0 req/s, -10.0%)",
                "w/s: error_rate > +0.5% (baseline 0.000%, new 1.000%, +1.000 pts)",
            ]
        );
        assert!(c.table.contains("100.0 req/s"), "{}", c.table);
    }

    #[test]
    fn a_baseline_step_missing_or_idle_in_the_new_run_is_reported() {
        let base = json!({ "schema_version": 1, "steps": [
            step("a", 10, 1.0, 1.0, 0.0), step("b", 10, 1.0, 1.0, 0.0),
            step("c", 10, 1.0, 1.0, 0.0), step("never", 0, 0.0, 0.0, 0.0)] });
        let new = json!({ "schema_version": 1, "steps": [
            step("a", 10, 1.0, 1.0, 0.0), step("c", 0, 0.0, 0.0, 0.0),
            step("d", 10, 1.0, 1.0, 0.0)] });
        let c = compare(&base, &new, &[]);
        assert_eq!(
            c.missing,
            [("w/b".to_string(), 10), ("w/c".to_string(), 10)]
        );
        assert!(c.table.contains("(missing in new)"), "{}", c.table);
        assert!(c.table.contains("(not in baseline)"), "{}", c.table);
        let c = compare(&base, &json!({ "schema_version": 1, "steps": [] }), &[]);
        assert_eq!(c.missing.len(), 3, "{c:?}");
    }

    #[test]
    fn only_a_loadgen_summary_is_compared() {
        assert!(check_summary(&summary(1.0, 1.0, 0.0)).is_ok());
        // The version before this one is still read: it has every field compare uses.
        for version in [1, 2, 3] {
            assert!(check_summary(&json!({ "schema_version": version, "steps": [] })).is_ok());
        }
        for (v, why) in [
            (json!([]), "an array"),
            (json!({}), "no `schema_version`"),
            (json!({ "schema_version": 1 }), "no `steps`"),
            (
                json!({ "schema_version": 5, "steps": [] }),
                "schema_version 5; this loadgen reads versions 1 to 4",
            ),
            (
                json!({ "schema_version": 1, "steps": [{ "p99": 1 }] }),
                "without workload",
            ),
            (json!("text"), "a single value"),
        ] {
            let e = check_summary(&v).unwrap_err().to_string();
            assert!(
                e.contains("not a loadgen summary") && e.contains(why),
                "{v}: {e}"
            );
        }
    }
}
