//! A server-certificate verifier that applies a [`CertPolicy`] in place of the web PKI while
//! still checking handshake signatures: `insecure` uses it to accept anything, the distributed
//! mode to pin fingerprints.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;

/// What a [`PolicyVerifier`] asks of the server's end-entity certificate, in place of the
/// web PKI (the handshake signatures are checked whatever the policy says).
pub trait CertPolicy: std::fmt::Debug + Send + Sync {
    /// `Ok` to accept `end_entity`.
    fn check(&self, end_entity: &CertificateDer<'_>) -> Result<(), rustls::Error>;
}

/// `insecure`: any certificate chain and name.
#[derive(Debug)]
pub(crate) struct AnyCert;

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
