//! Why a CA bundle or a client identity could not be loaded.

use std::path::PathBuf;

/// A TLS file that cannot be used; the message names the file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not PEM, or holds nothing of the kind expected.
    #[error("{}: {problem}", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong (`no CERTIFICATE block`, a PEM syntax error, …).
        problem: String,
    },
    /// A CA certificate that cannot serve as a trust anchor.
    #[error("{}: certificate {index} cannot be trusted as a CA: {source}", path.display())]
    BadCa {
        /// The file.
        path: PathBuf,
        /// Its position in the bundle, from 1.
        index: usize,
        /// Why.
        source: rustls::Error,
    },
    /// The certificate and key do not make an identity rustls can present.
    #[error("client certificate {} with key {}: {source}", cert.display(), key.display())]
    Identity {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// Why (unsupported key type, key not matching the certificate).
        source: rustls::Error,
    },
}
