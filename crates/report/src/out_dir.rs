//! The results folder (`--out`): checked before any load is sent. A folder that already
//! holds files is refused unless `--force` (earlier results are evidence, not scratch);
//! with `--force` loadgen's own result files there are removed first (a symlink planted
//! under one of their names goes, its target stays untouched); and a folder that cannot be
//! written is found by writing a probe file, not after a long run.

use std::io;
use std::path::{Path, PathBuf};

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

/// Why a results folder cannot be used (the cause is part of the text, not a source: the
/// binary prints the message as it stands).
#[derive(Debug, thiserror::Error)]
pub enum OutDirError {
    /// The folder cannot be created.
    #[error("--out: cannot create {}: {cause}", .path.display())]
    Create {
        /// The folder.
        path: PathBuf,
        /// Why.
        cause: io::Error,
    },
    /// The folder cannot be listed.
    #[error("--out: cannot read {}: {cause}", .path.display())]
    Read {
        /// The folder.
        path: PathBuf,
        /// Why.
        cause: io::Error,
    },
    /// It holds files and `--force` was not given.
    #[error("--out {} already holds {count} file(s), perhaps earlier results; pick a new folder or add --force to replace loadgen's files there", .path.display())]
    NotEmpty {
        /// The folder.
        path: PathBuf,
        /// How many entries it holds.
        count: usize,
    },
    /// An earlier result file cannot be removed.
    #[error("--force: cannot remove {}: {cause}", .path.display())]
    Remove {
        /// The file.
        path: PathBuf,
        /// Why.
        cause: io::Error,
    },
    /// Nothing can be written into the folder.
    #[error("--out: cannot write into {}: {cause}", .path.display())]
    Write {
        /// The folder.
        path: PathBuf,
        /// Why.
        cause: io::Error,
    },
}

/// Creates `out` if needed and makes sure results can be written there.
pub fn prepare(out: &Path, force: bool) -> Result<(), OutDirError> {
    let path = || out.to_path_buf();
    std::fs::create_dir_all(out).map_err(|cause| OutDirError::Create {
        path: path(),
        cause,
    })?;
    let entries: Vec<_> = std::fs::read_dir(out)
        .map_err(|cause| OutDirError::Read {
            path: path(),
            cause,
        })?
        .filter_map(Result::ok)
        .collect();
    if !entries.is_empty() && !force {
        return Err(OutDirError::NotEmpty {
            path: path(),
            count: entries.len(),
        });
    }
    for e in &entries {
        let name = e.file_name();
        if RESULT_FILES.iter().any(|f| name.as_os_str() == *f) {
            // remove_file on a symlink removes the link, never what it points to.
            std::fs::remove_file(e.path()).map_err(|cause| OutDirError::Remove {
                path: e.path(),
                cause,
            })?;
        }
    }
    let probe = out.join(".loadgen-write-probe");
    crate::out_file::write_atomic(&probe, b"probe")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|cause| OutDirError::Write {
            path: path(),
            cause,
        })
}

/// The default results folder of a run of `name`: `results/<name>-<UTC timestamp>`.
pub fn default_out(name: &str) -> PathBuf {
    let now = time::OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    PathBuf::from("results").join(format!("{name}-{stamp}"))
}
