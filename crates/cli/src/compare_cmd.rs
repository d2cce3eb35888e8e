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
    let gates = gates(fail_if)?;
    let read = |p: &Path| compare::read_summary(p).map_err(Fail::bad_input);
    let c = compare::compare(&read(baseline)?, &read(new)?, &gates);
    crate::say!("{}", c.table);
    let (lines, failed) = c.verdict(gates.len(), allow_missing);
    for line in lines {
        crate::say!("{line}");
    }
    Ok(if failed {
        exit::THRESHOLDS_FAILED
    } else {
        exit::PASSED
    })
}

/// The `--fail-if` gates, parsed (for the comparison and for `check-args`).
pub fn gates(fail_if: &[String]) -> Result<Vec<compare::Gate>, Fail> {
    fail_if
        .iter()
        .map(|g| compare::parse_gate(g).map_err(|e| crate::inputs::bad(format!("--fail-if {e}"))))
        .collect()
}
