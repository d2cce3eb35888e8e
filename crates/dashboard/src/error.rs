//! Errors of the dashboard: listening where it may not, a socket that fails, a refused `ctl`.

/// Why the dashboard could not start, or a `ctl` request failed.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// Listening beyond loopback without TLS would hand the page (and the token on the wire)
    /// to the network.
    #[error("refused to listen on {0}: the dashboard serves plain HTTP, so it listens on loopback only (127.0.0.1 or ::1); reach it from elsewhere through an SSH tunnel (ssh -L 5665:127.0.0.1:5665 HOST)")]
    NotLoopback(std::net::SocketAddr),
    /// The address could not be bound (in use, no permission).
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// What the OS said.
        error: std::io::Error,
    },
    /// A `ctl` URL that is not `http://HOST:PORT/…`.
    #[error("bad dashboard URL `{0}`: expected http://127.0.0.1:PORT/")]
    BadUrl(String),
    /// The dashboard could not be reached.
    #[error("cannot reach the dashboard at {addr}: {error}")]
    Unreachable {
        /// Where.
        addr: String,
        /// What happened.
        error: std::io::Error,
    },
    /// The dashboard answered with an error status.
    #[error("the dashboard refused: {status} {body}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// Its reason, as the dashboard wrote it.
        body: String,
    },
}
