//! What can go wrong reading a HAR file.

/// A HAR file that cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum HarError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not JSON, or not HAR's shape (`log.entries[]` with `request` and `response`).
    #[error("not a HAR file: {0}")]
    Parse(#[from] serde_json::Error),
    /// No entry to turn into a step.
    #[error("the HAR file records no request")]
    Empty,
    /// A request URL that is not absolute `http://` or `https://`.
    #[error("entry {index}: `{url}` is not an http(s) URL")]
    Url {
        /// The entry's position (0-based).
        index: usize,
        /// The URL as recorded.
        url: String,
    },
}
