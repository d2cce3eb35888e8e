//! `loadgen compare BASELINE NEW`: two results folders' summaries side by side, and the
//! regression gates (`--fail-if`).

use crate::{exit, Fail};
use loadgen_report::compare;
use std::path::Path;

pub fn run(
    baseline: &Path,
    new: &Path,
    fail_if: &[String],
    allow_missing: bool,
) -> Result<u8, Fail> {
    let gates = fail_if
        .iter()
        .map(|g| compare::parse_gate(g).map_err(|e| crate::inputs::bad(format!("--fail-if {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let read = |p: &Path| compare::read_summary(p).map_err(Fail::bad_input);
    let c = compare::compare(&read(baseline)?, &read(new)?, &gates);
    crate::say!("{}", c.table);
    for (step, n) in &c.missing {
        // Nothing measured is no evidence of no regression.
        let (mark, note) = if allow_missing {
            ("!", "; allowed by --allow-missing")
        } else {
            ("✗", "")
        };
        crate::say!(
            "{mark} {step}: missing in the new run (baseline {n} requests, new none){note}"
        );
    }
    for b in &c.breaches {
        crate::say!("✗ {b}");
    }
    let missing_fails = !c.missing.is_empty() && !allow_missing;
    if c.breaches.is_empty() && !missing_fails {
        if !gates.is_empty() {
            crate::say!("no regression beyond the gates");
        }
        Ok(exit::PASSED)
    } else {
        Ok(exit::THRESHOLDS_FAILED)
    }
}
