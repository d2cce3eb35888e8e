//! The crate's one error type: everything that can be wrong *before* a run starts.
//!
//! Faults during a run never become an [`HttpError`]; they become an
//! [`Outcome`](loadgen_engine::Outcome) at once (see [`crate::classify`]).

/// A configuration that cannot be turned into HTTP sessions.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The base URL is not `http://host[:port][/prefix]` or `https://…`.
    #[error("invalid base URL {url:?}: {reason}")]
    BaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A template does not parse (an unknown variable, an unclosed `{{`, bad bounds).
    #[error(transparent)]
    Template(#[from] loadgen_template::TemplateError),
    /// A step's path does not render to a valid request target.
    #[error("step {step:?}: path {path:?} does not render to a valid request target")]
    InvalidPath {
        /// The step name.
        step: String,
        /// The path template text.
        path: String,
    },
    /// A step's header template does not render to a valid header value.
    #[error("step {step:?}: header `{header}` does not render to a valid header value")]
    InvalidHeader {
        /// The step name.
        step: String,
        /// The header name.
        header: String,
    },
    /// A capture is malformed (a JSON path outside the subset).
    #[error(transparent)]
    Capture(#[from] loadgen_capture::CaptureError),
    /// A factory was built with no requests.
    #[error("no requests: a session needs at least one step")]
    NoRequests,
    /// The proxy URL is not `http://host[:port]`.
    #[error("invalid proxy {url:?}: {reason}")]
    Proxy {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The TLS client configuration could not be built.
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
}
