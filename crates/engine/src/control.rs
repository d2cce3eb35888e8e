//! Stopping a run from outside: a graceful stop, or an immediate kill.

use tokio_util::sync::CancellationToken;

/// Stops a run from outside (signal handler, threshold abort). Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct RunControl {
    pub(crate) stop: CancellationToken,
    pub(crate) kill: CancellationToken,
}

impl RunControl {
    /// A control for a new run.
    pub fn new() -> Self {
        Self::default()
    }

    /// Graceful stop: no new iterations; in-flight ones get the graceful-stop period.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// Immediate stop: in-flight iterations are cancelled now (counted as interrupted).
    pub fn kill(&self) {
        self.stop.cancel();
        self.kill.cancel();
    }

    /// True once [`RunControl::stop`] or [`RunControl::kill`] was called.
    pub fn is_stopped(&self) -> bool {
        self.stop.is_cancelled()
    }
}
