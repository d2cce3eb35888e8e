//! TLS client policy shared by every loadgen protocol and by the distributed mode: the
//! rustls client configuration built from [`TlsOptions`] (web PKI roots, the operating
//! system's store and a CA file; a client identity for mutual TLS; the lowest version; or
//! `insecure`, any certificate), and a verifier that accepts what a [`CertPolicy`] accepts
//! while still checking handshake signatures (the distributed mode pins fingerprints with it).
//!
//! It owns certificate trust decisions, the plain-or-TLS byte stream a client connection
//! reads ([`ClientStream`]) and the outcome class of that stream's I/O errors
//! ([`classify_io`], and [`read_answer`], the lean wires' read that calls an early end of
//! stream a reset); it must not know any protocol, the scenario format or the command
//! line, so `http`, `h2`, `ws` and `fleet` can all depend on it.

#![forbid(unsafe_code)]

pub use classify::{classify_io, read_answer};
pub use stream::ClientStream;

mod classify;
mod error;
mod files;
mod stream;
mod verifier;

pub use error::TlsError;
pub use files::{load_ca_file, ClientIdentity};
pub use verifier::{CertPolicy, PolicyVerifier};

use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;
use std::sync::{Arc, OnceLock};
use verifier::AnyCert;

/// The lowest TLS version a client offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MinTlsVersion {
    /// TLS 1.2 and 1.3.
    #[default]
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

/// What a client trusts and presents. Decided once per target when its connector is built,
/// never per connection or request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TlsOptions {
    /// Accept any server certificate (self-signed test targets); handshake signatures are
    /// still checked.
    pub insecure: bool,
    /// CA certificates trusted beside the web PKI roots and the system's store (`ca_file`).
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// The certificate and key to present when the server asks for one.
    pub identity: Option<ClientIdentity>,
    /// The lowest version offered.
    pub min_version: MinTlsVersion,
}

/// The client configuration every loadgen protocol uses (HTTP, WebSocket, webhook
/// deliveries): trust per `opts` and ALPN `alpn`, most preferred first.
pub fn client_tls_config(
    opts: &TlsOptions,
    alpn: &[&[u8]],
) -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = match opts.min_version {
        MinTlsVersion::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        MinTlsVersion::Tls13 => &[&rustls::version::TLS13],
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)?;
    let builder = if opts.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PolicyVerifier::new(AnyCert, provider)))
    } else {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        roots.add_parsable_certificates(system_roots().iter().cloned());
        for ca in &opts.extra_roots {
            roots.add(ca.clone())?;
        }
        builder.with_root_certificates(roots)
    };
    let mut config = match &opts.identity {
        Some(id) => builder.with_client_auth_cert(id.chain.clone(), id.key.clone_key())?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

/// The operating system's CA store, read once per process (`SSL_CERT_FILE` and
/// `SSL_CERT_DIR` point elsewhere). A store that cannot be read adds nothing: the web PKI
/// roots and `ca_file` still apply, and an unknown CA shows up as a `tls` error.
pub fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}
