//! Configuration errors, found before a run starts. They never quote a secret.

/// Why a webhook or callback step cannot be built.
#[derive(Debug, thiserror::Error)]
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
    /// An event type that cannot be written into JSON and headers as it is.
    #[error("events: `{0}` is not an event type (letters, digits, `.`, `_`, `-`)")]
    BadEventType(String),
    /// Event weights that do not make a distribution.
    #[error("events: {0}")]
    BadWeights(rand::distr::weighted::Error),
    /// A share of built-to-fail deliveries outside 0..=1.
    #[error("share: must be between 0% and 100%")]
    FailShare,
    /// A share of built-to-fail deliveries with no kind to draw.
    #[error("a share needs at least one kind (bad_signature, stale, duplicate, out_of_order)")]
    FailNoKinds,
    /// Built-to-fail kinds whose weights do not make a distribution.
    #[error("{0}")]
    FailWeights(rand::distr::weighted::Error),
    /// The base URL (or its TLS settings) cannot be dialled.
    #[error(transparent)]
    Dial(loadgen_http::HttpError),
    /// The target's authority cannot be sent as a `Host` header.
    #[error("the target's authority is not a header value")]
    BadAuthority,
    /// The callback sink could not start. (Shown inline rather than as a source: callers
    /// fold this message into their own.)
    #[error("callback sink: {0}")]
    Sink(std::io::Error),
}
