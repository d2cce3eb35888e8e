//! Errors of the report crate: result files that cannot be written, and merge files that
//! cannot be read back or do not hold what loadgen writes.

use std::path::PathBuf;

/// Everything that can go wrong with a results folder's files.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file of a results folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A results folder holds something that is not what loadgen writes.
    #[error("{path}:{line}: {message}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// 1-based line (0: the whole file).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A metrics record that does not decode or does not fit its run.
    #[error(transparent)]
    Record(#[from] crate::codec::RecordError),
    /// An interval of an assembled run that does not decode.
    #[error("interval {index}: {error}")]
    BadInterval {
        /// Its index.
        index: u64,
        /// Why.
        error: Box<ReportError>,
    },
    /// Some files of a results folder could not be written.
    #[error("writing results to {dir}: {message}")]
    Incomplete {
        /// The folder.
        dir: PathBuf,
        /// What failed.
        message: String,
    },
}

impl ReportError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ReportError::Io {
            path: path.into(),
            source,
        }
    }
}
