//! Errors of the fleet crate: bad result folders, refused merges, control-channel failures.

use std::path::PathBuf;

/// Everything that can go wrong in a merge or on the control channel.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
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
    Record(#[from] loadgen_report::RecordError),
    /// A result file could not be written or read back.
    #[error(transparent)]
    Report(#[from] loadgen_report::ReportError),
    /// The engine refused or failed the segment's run.
    #[error("engine: {0}")]
    Engine(loadgen_engine::EngineError),
    /// The parts cannot be merged (different plans, overlapping segments, missing parts).
    #[error("{0}")]
    Refused(String),
    /// The scenario of folders to merge cannot be read or does not describe them.
    #[error("{0}")]
    Scenario(String),
    /// A control-channel message was malformed, too large or unexpected.
    #[error("protocol: {0}")]
    Protocol(String),
    /// The peer failed authentication or was refused by policy.
    #[error("refused: {0}")]
    Auth(String),
    /// Network or TLS failure on the control channel.
    #[error("control channel: {0}")]
    Net(String),
}

impl FleetError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        FleetError::Io {
            path: path.into(),
            source,
        }
    }
}

/// `e` and every cause under it, `outer: inner: …`, for messages that cross the control
/// channel as text (an error's own text leaves its causes out, as Rust's convention says).
pub(crate) fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
