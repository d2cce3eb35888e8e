//! TLS of the control channel (rustls, ring): the listening side's certificate — given as
//! PEM files or generated at start-up — its SHA-256 fingerprint, and the dialling side's
//! verifier, which pins fingerprints when given and otherwise trusts on first use (the
//! shared-secret proof bound to the session, [`crate::auth`], is what stops a man in the
//! middle; the pin adds a second lock).

use crate::error::FleetError;
use loadgen_tls::{CertPolicy, PolicyVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// Label of the keying material both sides export to bind the secret proof to the session.
pub const EXPORTER_LABEL: &[u8] = b"EXPORTER-loadgen-control-auth";

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// SHA-256 of a DER certificate, as `AB:CD:…` (the form `openssl x509 -fingerprint` prints).
pub fn fingerprint(cert: &CertificateDer<'_>) -> String {
    Sha256::digest(cert.as_ref())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Normalises a fingerprint written with or without colons, in any case.
pub fn normalise_fingerprint(s: &str) -> String {
    let hex: String = s
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    hex.as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

/// A certificate chain and its key, for the listening side.
pub struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Identity {
    /// A fresh self-signed certificate for `names` (e.g. `loadgen-worker`).
    pub fn generate(names: &[String]) -> Result<Identity, FleetError> {
        let ck = rcgen::generate_simple_self_signed(names.to_vec())
            .map_err(|e| FleetError::Net(format!("generating a certificate: {e}")))?;
        Ok(Identity {
            chain: vec![ck.cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(ck.key_pair.serialize_der().into()),
        })
    }

    /// A certificate chain and key from PEM files.
    pub fn from_pem(cert: &Path, key: &Path) -> Result<Identity, FleetError> {
        let bad = |p: &Path, e: String| FleetError::BadFile {
            path: p.to_path_buf(),
            line: 0,
            message: e,
        };
        let chain = CertificateDer::pem_file_iter(cert)
            .map_err(|e| bad(cert, e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(cert, e.to_string()))?;
        if chain.is_empty() {
            return Err(bad(cert, "no certificate in the file".into()));
        }
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, e.to_string()))?;
        Ok(Identity { chain, key })
    }

    /// `cert` and `key` when both are given, else a fresh certificate for `name`. A file
    /// that does not hold them is [`FleetError::BadFile`].
    pub fn from_pem_or_generate(
        cert: Option<&Path>,
        key: Option<&Path>,
        name: &str,
    ) -> Result<Identity, FleetError> {
        match (cert, key) {
            (Some(c), Some(k)) => Identity::from_pem(c, k),
            _ => Identity::generate(&[name.to_string()]),
        }
    }

    /// Fingerprint of the end-entity certificate.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.chain[0])
    }

    /// An acceptor presenting this identity.
    pub fn acceptor(&self) -> Result<TlsAcceptor, FleetError> {
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|e| FleetError::Net(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| FleetError::Net(format!("certificate and key do not match: {e}")))?;
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

/// The dialling side's policy: the pinned fingerprints only, or (none pinned) any
/// certificate, remembering what it saw so it can be printed. Handshake signatures are
/// checked by the [`PinningVerifier`] around it.
#[derive(Debug)]
pub struct Pins {
    pins: Vec<String>,
    /// Fingerprint of the last certificate seen.
    pub seen: Mutex<Option<String>>,
}

impl CertPolicy for Pins {
    fn check(&self, end_entity: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        let fp = fingerprint(end_entity);
        if let Ok(mut s) = self.seen.lock() {
            *s = Some(fp.clone());
        }
        if self.pins.is_empty() || self.pins.contains(&fp) {
            Ok(())
        } else {
            Err(rustls::Error::General(format!(
                "certificate fingerprint {fp} is not among the pinned ones"
            )))
        }
    }
}

/// The dialling side's verifier: [`Pins`] plus the handshake signature checks.
pub type PinningVerifier = PolicyVerifier<Pins>;

/// A connector that pins `pins` (fingerprints; empty: trust on first use), and its verifier.
pub fn connector(pins: &[String]) -> Result<(TlsConnector, Arc<PinningVerifier>), FleetError> {
    let provider = provider();
    let pins = Pins {
        pins: pins.iter().map(|p| normalise_fingerprint(p)).collect(),
        seen: Mutex::new(None),
    };
    let verifier = Arc::new(PolicyVerifier::new(pins, provider.clone()));
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| FleetError::Net(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    Ok((TlsConnector::from(Arc::new(config)), verifier))
}

/// The TLS server name used when dialling (the certificate is checked by fingerprint, not
/// by name).
pub fn server_name() -> ServerName<'static> {
    ServerName::try_from("loadgen-worker").expect("static name is valid")
}

/// 32 bytes of keying material exported from an established session (RFC 5705/8446): equal
/// on both ends of one TLS session, different on the two legs of a man in the middle.
pub fn exported_key<C>(conn: &rustls::ConnectionCommon<C>) -> Result<[u8; 32], FleetError> {
    conn.export_keying_material([0u8; 32], EXPORTER_LABEL, None)
        .map_err(|e| FleetError::Net(format!("exporting keying material: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_is_generated_without_files_and_a_bad_file_is_a_bad_file() {
        let made = Identity::from_pem_or_generate(None, None, "loadgen-worker").unwrap();
        assert_eq!(
            made.fingerprint().len(),
            32 * 3 - 1,
            "{}",
            made.fingerprint()
        );
        let missing = Path::new("/nonexistent/loadgen-cert.pem");
        let refused = Identity::from_pem_or_generate(Some(missing), Some(missing), "x");
        assert!(
            matches!(refused, Err(FleetError::BadFile { ref path, .. }) if path == missing),
            "{:?}",
            refused.err()
        );
    }
}
