//! Configuration errors, found before a run starts. They never quote a secret.

/// Why a webhook or callback step cannot be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookError {
    /// A Standard Webhooks secret that is not `whsec_` followed by base64.
    #[error("secret: a Standard Webhooks secret is `whsec_` followed by base64 (the value is not shown)")]
    BadStandardSecret,
    /// An empty secret.
    #[error("secret: empty")]
    EmptySecret,
    /// A header name HTTP does not allow.
    #[error("header `{0}`: not a valid HTTP header name")]
    BadHeader(String),
    /// A kind of built-to-fail delivery the scheme cannot express.
    #[error("fail.{0}: the {1} scheme signs no timestamp, so a stale delivery cannot be built")]
    NoTimestamp(&'static str, &'static str),
    /// Event weights that do not make a distribution.
    #[error("events: {0}")]
    BadWeights(String),
    /// The base URL or a path.
    #[error("{0}")]
    Url(String),
    /// The callback sink could not start.
    #[error("callback sink: {0}")]
    Sink(String),
}
