//! Errors of the engine: only plan mistakes and thread failures; request faults are outcomes.

/// Why a plan could not run.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The plan is inconsistent (a builder bug or unchecked input).
    #[error("invalid plan: {0}")]
    InvalidPlan(String),
    /// A worker thread could not start or panicked.
    #[error("worker thread {thread} failed: {reason}")]
    Worker {
        /// Thread index.
        thread: usize,
        /// What happened.
        reason: String,
    },
}
