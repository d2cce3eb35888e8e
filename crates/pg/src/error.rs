//! What can be wrong before a PostgreSQL workload runs. During a run every fault is an
//! [`Outcome`](loadgen_engine::Outcome), never one of these.

/// A configuration that cannot work, or a setup that failed.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// The database URL does not parse. The URL itself is not repeated: it may hold a password.
    #[error("database URL: {0}")]
    Url(String),
    /// A statement parameter's template is invalid.
    #[error("parameter {index} of `{query}`: {source}")]
    Param {
        /// 1-based, like `$1`.
        index: usize,
        /// The statement.
        query: String,
        /// Why.
        #[source]
        source: loadgen_template::TemplateError,
    },
    /// The parameters do not match the statement's `$n` placeholders.
    #[error("`{query}` has {placeholders} placeholders ($1…) but {params} params ({types} types declared)")]
    Params {
        /// The statement.
        query: String,
        /// The highest `$n` in it.
        placeholders: usize,
        /// Parameters given.
        params: usize,
        /// Types declared.
        types: usize,
    },
    /// A declared parameter type is not one loadgen knows.
    #[error("unknown parameter type `{0}` (known: {KNOWN_TYPES})")]
    UnknownType(String),
    /// A sample value of a parameter does not convert to its declared type.
    #[error("parameter {index} of `{query}` renders `{sample}`, which is not a valid {ty}")]
    Convert {
        /// 1-based.
        index: usize,
        /// The statement.
        query: String,
        /// What it rendered.
        sample: String,
        /// The declared type.
        ty: String,
    },
    /// The TLS client could not be built.
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// The host is not a valid TLS server name.
    #[error("`{0}` is not a valid TLS server name")]
    ServerName(String),
    /// The setup statements could not run (the database's own message; no password in it).
    #[error("setup: {0}")]
    Setup(String),
}

/// The declared type names loadgen knows (`types.rs` maps them), for the message above.
const KNOWN_TYPES: &str = "bool, int2 (smallint), int4 (int, integer), int8 (bigint), \
    float4 (real), float8 (double precision), numeric (decimal), text, varchar, char, uuid, \
    date, time, timestamp, timestamptz, interval, json, jsonb, bytea";
