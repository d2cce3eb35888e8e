//! Configuration errors, found before anything runs. Faults during a run are outcomes.

/// Why a WebSocket configuration cannot work.
#[derive(Debug, thiserror::Error)]
pub enum WsError {
    /// The URL is not `ws://`, `wss://`, `http://` or `https://` with a host.
    #[error("`{url}`: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The host name did not resolve.
    #[error("cannot resolve `{host}`: {source}")]
    Resolve {
        /// Host and port.
        host: String,
        /// The resolver's error.
        #[source]
        source: std::io::Error,
    },
    /// A message template that does not parse.
    #[error("message template: {0}")]
    Template(#[from] loadgen_template::TemplateError),
    /// A header name or value (or subprotocol) HTTP does not allow.
    #[error("invalid header `{0}`")]
    Header(String),
    /// The TLS client could not be configured.
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
}
