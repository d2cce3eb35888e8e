//! Errors of the dashboard: listening where it may not, a socket that fails, a refused `ctl`.

/// Why the dashboard could not start, or a `ctl` request failed.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// Listening beyond loopback without TLS would hand the page (and the token on the wire)
    /// to the network.
    #[error("refused to listen on {0}: without TLS the dashboard listens on loopback only (127.0.0.1 or ::1); add --dashboard-tls (HTTPS, and the token for everything), or reach it through an SSH tunnel (ssh -L 5665:127.0.0.1:5665 HOST)")]
    NotLoopback(std::net::SocketAddr),
    /// An `https://` dashboard without the fingerprint to pin.
    #[error("{0} is served over TLS: give --fingerprint with the certificate SHA-256 printed beside its URL")]
    NoPin(String),
    /// The TLS handshake failed (a certificate other than the pinned one, among others).
    #[error("TLS with the dashboard at {addr} failed: {error}")]
    Tls {
        /// Where.
        addr: String,
        /// What rustls said.
        error: String,
    },
    /// The address could not be bound (in use, no permission).
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// What the OS said.
        error: std::io::Error,
    },
    /// A `ctl` URL that is not `http(s)://HOST:PORT/…`.
    #[error("bad dashboard URL `{0}`: expected http://127.0.0.1:PORT/ (or https://HOST:PORT/)")]
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
