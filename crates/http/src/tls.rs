//! The rustls client configuration: webpki roots or accept-any (`insecure`), and ALPN.

use crate::config::{BaseUrl, HttpVersion};
use crate::error::HttpError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::Arc;
use tokio_rustls::TlsConnector;

/// The client configuration every loadgen protocol uses (HTTP here, WebSocket in its own
/// crate): the webpki roots, or with `insecure` any certificate (handshake signatures are
/// still checked); ALPN `alpn`, most preferred first.
pub fn client_tls_config(
    insecure: bool,
    alpn: &[&[u8]],
) -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let mut config = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PolicyVerifier::new(AnyCert, provider)))
            .with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

/// A connector for `base`'s host, offering `h2` first when `version` is HTTP/2.
pub(crate) fn connector(
    base: &BaseUrl,
    version: HttpVersion,
    insecure: bool,
) -> Result<(TlsConnector, ServerName<'static>), HttpError> {
    let alpn: &[&[u8]] = match version {
        HttpVersion::Http2 => &[b"h2", b"http/1.1"],
        HttpVersion::Http1 => &[b"http/1.1"],
    };
    let config = client_tls_config(insecure, alpn)?;
    let name = ServerName::try_from(base.host().to_owned()).map_err(|_| HttpError::BaseUrl {
        url: base.host().to_owned(),
        reason: "host is not a valid TLS server name",
    })?;
    Ok((TlsConnector::from(Arc::new(config)), name))
}

/// What a [`PolicyVerifier`] asks of the server's end-entity certificate, in place of the
/// web PKI (the handshake signatures are checked whatever the policy says).
pub trait CertPolicy: std::fmt::Debug + Send + Sync {
    /// `Ok` to accept `end_entity`.
    fn check(&self, end_entity: &CertificateDer<'_>) -> Result<(), rustls::Error>;
}

/// `insecure`: any certificate chain and name.
#[derive(Debug)]
struct AnyCert;

impl CertPolicy for AnyCert {
    fn check(&self, _: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        Ok(())
    }
}

/// A verifier that accepts what its [`CertPolicy`] accepts, but still checks the handshake
/// signatures, so the connection is encrypted to whoever holds the presented key. The HTTP
/// and WebSocket clients use it with `insecure`; the distributed mode pins fingerprints.
#[derive(Debug)]
pub struct PolicyVerifier<P> {
    policy: P,
    provider: Arc<CryptoProvider>,
}

impl<P: CertPolicy> PolicyVerifier<P> {
    /// A verifier applying `policy`, checking signatures with `provider`'s algorithms.
    pub fn new(policy: P, provider: Arc<CryptoProvider>) -> Self {
        PolicyVerifier { policy, provider }
    }

    /// The policy (to read what it saw).
    pub fn policy(&self) -> &P {
        &self.policy
    }
}

impl<P: CertPolicy> ServerCertVerifier for PolicyVerifier<P> {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.policy.check(end_entity)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
