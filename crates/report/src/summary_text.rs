//! `summary.txt`: the run summary for people (and what the terminal shows at the end) —
//! tables per step, workload and threshold, the generator's health, then the verdict line.

use crate::summary::{explain, ms, RunSummary};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use loadgen_engine::Outcome;
use std::path::Path;

impl RunSummary {
    /// Records the changes made by hand: any makes the run not `as_planned` (its exit code
    /// stays the thresholds'; its verdict line says it was changed).
    pub fn changed_by_hand(&mut self, changes: Vec<crate::run_info::ChangeRecord>) {
        self.as_planned = changes.is_empty();
        self.changes = changes;
    }

    /// The one `verdict:` line (the last line of `summary.txt`).
    pub fn verdict_line(&self) -> String {
        let label = match self.verdict {
            "passed" if !self.trustworthy => "PASSED, BUT UNTRUSTED",
            "passed" => "PASSED",
            "not_judged" => "NOT JUDGED",
            "interrupted" => "INTERRUPTED",
            _ => "FAILED",
        };
        let by_hand = if self.as_planned {
            ""
        } else if label.contains(", BUT") {
            " AND CHANGED BY HAND"
        } else {
            ", BUT CHANGED BY HAND"
        };
        format!("verdict: {label}{by_hand} — {}", self.verdict_reason)
    }

    /// `summary.txt` text: tables per step and per threshold, then the verdict.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "\n{} — {:.1}s, {} requests ({:.1}/s), {} errors ({:.3}%), {} dropped{}{}\n",
            self.scenario,
            self.elapsed_seconds,
            self.totals.requests,
            self.totals.rate,
            self.totals.errors,
            self.totals.error_rate * 100.0,
            self.totals.dropped,
            if self.totals.interrupted > 0 {
                format!(", {} interrupted", self.totals.interrupted)
            } else {
                String::new()
            },
            if self.stopped_early {
                ", stopped early"
            } else {
                ""
            }
        ));
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED);
        t.set_header([
            "step", "count", "rate/s", "min", "p50", "p90", "p95", "p99", "p99.9", "max", "errors",
        ]);
        for s in &self.steps {
            let l = &s.latency;
            let statuses = s
                .statuses
                .iter()
                .chain(&s.codes)
                .map(|(code, n)| format!("{code}×{n}"))
                .collect::<Vec<_>>()
                .join(" ");
            let mut errors = s
                .outcomes
                .iter()
                .filter(|(k, _)| !matches!(**k, "success" | "expected_failure"))
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ");
            if !statuses.is_empty() {
                errors.push_str(&format!(" [{statuses}]"));
            }
            let expected = s
                .outcomes
                .get("expected_failure")
                .map(|n| format!(" (+{n} expected failures)"))
                .unwrap_or_default();
            t.add_row(vec![
                format!("{}/{}", s.workload, s.step),
                s.count.to_string(),
                format!("{:.1}", s.rate),
                ms(l.min),
                ms(l.p50),
                ms(l.p90),
                ms(l.p95),
                ms(l.p99),
                ms(l.p999),
                ms(l.max),
                if errors.is_empty() {
                    format!("0{expected}")
                } else {
                    format!("{errors}{expected}")
                },
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
        let seen: std::collections::BTreeSet<&str> = self
            .steps
            .iter()
            .flat_map(|s| s.outcomes.keys().copied())
            .collect();
        for class in seen {
            if let Some(meaning) = Outcome::from_name(class).and_then(explain) {
                out.push_str(&format!("  {class}: {meaning}\n"));
            }
        }
        for w in &self.workloads {
            out.push_str(&format!(
                "workload {}: {} iterations, {} dropped, {} waited for a VU, {}{} interrupted, peak {} active / {} allocated VUs, schedule lag p99 {}\n",
                w.name, w.iterations, w.dropped, w.queued,
                if w.skipped_paused > 0 { format!("{} skipped while paused, ", w.skipped_paused) } else { String::new() },
                w.interrupted, w.max_active_vus, w.max_allocated_vus, ms(w.schedule_lag.p99)
            ));
        }
        if !self.custom.is_empty() {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED);
            t.set_header(["metric", "kind", "value"]);
            for c in &self.custom {
                t.add_row(vec![
                    format!("{}/{}", c.workload, c.name),
                    c.kind.to_string(),
                    c.display(),
                ]);
            }
            out.push_str(&t.to_string());
            out.push('\n');
        }
        if !self.thresholds.is_empty() {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED);
            t.set_header(["", "threshold", "limit", "measured"]);
            for th in &self.thresholds {
                let show = |v: f64| match th.unit {
                    "ms" => ms(v),
                    "ratio" => format!("{:.3}%", v * 100.0),
                    "/s" => format!("{v:.1}/s"),
                    _ => format!("{v}"),
                };
                t.add_row(vec![
                    match (th.passed, th.untrusted) {
                        (true, false) => "✓ pass",
                        (true, true) => "? untrusted",
                        _ => "✗ FAIL",
                    }
                    .to_string(),
                    format!("{}: {}", th.metric, th.expression),
                    show(th.limit),
                    th.measured_text(show),
                ]);
            }
            out.push_str(&t.to_string());
            out.push('\n');
        }
        let g = &self.generator;
        out.push_str(&g.line());
        out.push('\n');
        for r in &g.reasons {
            out.push_str(&format!("⚠ generator saturated: {r}\n"));
        }
        for c in &self.changes {
            out.push_str(&format!(
                "✎ changed by hand at {:.3}s: {} (by {})\n",
                c.at_s, c.what, c.who
            ));
        }
        out.push_str(&self.verdict_line());
        out.push('\n');
        out
    }

    /// Writes `summary.json` and `summary.txt` into `dir`.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        crate::out_file::write_atomic(&dir.join("summary.json"), self.to_json())?;
        crate::out_file::write_atomic(&dir.join("summary.txt"), self.to_text())
    }
}
