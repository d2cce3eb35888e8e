//! The crate's error: a configuration that cannot work, found before anything runs. Faults
//! during a run are outcomes, never errors.

/// Why a Redis workload cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    /// The URL is not `redis://` or `rediss://` in the expected shape.
    #[error("Redis URL `{url}`: {reason}")]
    Url {
        /// The URL with any password shown as `***`.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The host name did not resolve.
    #[error("cannot resolve `{host}`: {source}")]
    Resolve {
        /// `host:port`.
        host: String,
        /// The resolver's error.
        source: std::io::Error,
    },
    /// The TLS client configuration could not be built.
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// A command has no name, or its name has placeholders.
    #[error("command {index}: {reason}")]
    Command {
        /// 0-based position of the command in its step.
        index: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
}
