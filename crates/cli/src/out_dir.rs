//! The results folder (`--out`): checked before any load is sent. A folder that already
//! holds files is refused unless `--force` (earlier results are evidence, not scratch);
//! with `--force` loadgen's own result files there are removed first (a symlink planted
//! under one of their names goes, its target stays untouched); and a folder that cannot be
//! written is found by writing a probe file, not after a long run.

use crate::Fail;
use anyhow::Context;
use std::path::Path;

/// Every file a run, merge, worker or coordinator writes into its results folder.
pub const RESULT_FILES: &[&str] = &[
    "summary.json",
    "summary.txt",
    "timeseries.csv",
    "latency.hlog",
    "junit.xml",
    "report.html",
    "run.json",
    "metrics.jsonl",
    "scenario.toml",
    "fleet.json",
];

/// Creates `out` if needed and makes sure results can be written there.
pub fn prepare(out: &Path, force: bool) -> Result<(), Fail> {
    let bad = |e: anyhow::Error| Fail::bad_input(e);
    std::fs::create_dir_all(out)
        .with_context(|| format!("--out: cannot create {}", out.display()))
        .map_err(bad)?;
    let entries: Vec<_> = std::fs::read_dir(out)
        .with_context(|| format!("--out: cannot read {}", out.display()))
        .map_err(bad)?
        .filter_map(Result::ok)
        .collect();
    if !entries.is_empty() && !force {
        return Err(bad(anyhow::anyhow!(
            "--out {} already holds {} file(s), perhaps earlier results; pick a new folder or add --force to replace loadgen's files there",
            out.display(),
            entries.len()
        )));
    }
    for e in &entries {
        let name = e.file_name();
        if RESULT_FILES.iter().any(|f| name.as_os_str() == *f) {
            // remove_file on a symlink removes the link, never what it points to.
            std::fs::remove_file(e.path())
                .with_context(|| format!("--force: cannot remove {}", e.path().display()))
                .map_err(bad)?;
        }
    }
    let probe = out.join(".loadgen-write-probe");
    loadgen_scenario::out_file::write_atomic(&probe, b"probe")
        .and_then(|()| std::fs::remove_file(&probe))
        .with_context(|| format!("--out: cannot write into {}", out.display()))
        .map_err(bad)?;
    Ok(())
}
