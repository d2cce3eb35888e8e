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

/// Parses a `--fail-if` expression.
pub fn parse_gate(text: &str) -> Result<Gate, String> {
    let t = text.trim();
    let (lhs, greater, rhs) = if let Some((l, r)) = t.split_once('>') {
        (l, true, r)
    } else if let Some((l, r)) = t.split_once('<') {
        (l, false, r)
    } else {
        return Err(format!(
            "`{t}`: expected e.g. `p(99) > +10%` or `rate < -5%`"
        ));
    };
    let stat = match lhs.trim() {
        "avg" => Stat::Avg,
        "rate" => Stat::Rate,
        "error_rate" => Stat::ErrorRate,
        p if p.starts_with("p(") && p.ends_with(')') => {
            let n: f64 = p[2..p.len() - 1]
                .trim()
                .parse()
                .map_err(|_| format!("`{p}`: not a percentile"))?;
            if ![50.0, 90.0, 95.0, 99.0, 99.9].contains(&n) {
                return Err(format!(
                    "`{p}`: compare p(50), p(90), p(95), p(99) or p(99.9)"
                ));
            }
            Stat::Percentile(n)
        }
        other => return Err(format!("`{other}`: compare p(N), avg, rate or error_rate")),
    };
    let pct = rhs
        .trim()
        .strip_suffix('%')
        .and_then(|n| n.trim().parse::<f64>().ok())
        .ok_or_else(|| {
            format!(
                "`{}`: expected a signed percentage such as +10%",
                rhs.trim()
            )
        })?;
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
    /// Baseline value.
    pub before: f64,
    /// New value.
    pub after: f64,
}

fn step_key(s: &Value) -> String {
    format!(
        "{}/{}",
        s["workload"].as_str().unwrap_or(""),
        s["step"].as_str().unwrap_or("")
    )
}

/// Compares two summaries: a table of deltas and the gates that failed.
pub fn compare(baseline: &Value, new: &Value, gates: &[Gate]) -> (String, Vec<Breach>) {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(["step", "stat", "baseline", "new", "change"]);
    let mut breaches = Vec::new();
    let empty = Vec::new();
    let base_steps = baseline["steps"].as_array().unwrap_or(&empty);
    for s in new["steps"].as_array().unwrap_or(&empty) {
        let key = step_key(s);
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
            let change = if stat == Stat::ErrorRate {
                format!("{:+.3} pts", (y - x) * 100.0)
            } else if x > 0.0 {
                format!("{:+.1}%", (y - x) / x * 100.0)
            } else {
                "n/a".into()
            };
            let show = |v: f64| match stat {
                Stat::Rate => format!("{v:.1}/s"),
                Stat::ErrorRate => format!("{:.3}%", v * 100.0),
                _ => format!("{v:.2}ms"),
            };
            t.add_row(vec![key.clone(), stat.label(), show(x), show(y), change]);
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
                    before: x,
                    after: y,
                });
            }
        }
    }
    (t.to_string(), breaches)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn summary(p99: f64, rate: f64, err: f64) -> Value {
        json!({ "steps": [{ "workload": "w", "step": "s", "rate": rate, "error_rate": err,
            "latency": { "p50": 1.0, "p90": 2.0, "p95": 3.0, "p99": p99, "p999": p99, "mean": 1.0 } }] })
    }

    #[test]
    fn gates_fire_on_regressions_only() {
        let gates = [
            parse_gate("p(99) > +10%").unwrap(),
            parse_gate("rate < -5%").unwrap(),
            parse_gate("error_rate > +0.5%").unwrap(),
        ];
        let (_, b) = compare(
            &summary(10.0, 100.0, 0.0),
            &summary(10.5, 99.0, 0.001),
            &gates,
        );
        assert!(b.is_empty(), "{b:?}");
        let (table, b) = compare(
            &summary(10.0, 100.0, 0.0),
            &summary(12.0, 90.0, 0.01),
            &gates,
        );
        assert_eq!(b.len(), 3, "{b:?}");
        assert!(table.contains("+20.0%"), "{table}");
        assert!(parse_gate("p(98) > +1%").is_err());
        assert!(parse_gate("p(99) > 10").is_err());
    }
}
