//! Loading PEM files: a CA bundle (`ca_file`, `--cacert`) and a client identity
//! (`client_cert` + `client_key`). Done once when a scenario is validated, so a bad file is
//! reported before any traffic, never on a connection.

use crate::error::TlsError;
use crate::{client_tls_config, TlsOptions};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::RootCertStore;
use std::path::Path;
use std::sync::Arc;

/// A certificate chain and its private key, presented when a server asks (mutual TLS).
#[derive(Clone)]
pub struct ClientIdentity {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) key: Arc<PrivateKeyDer<'static>>,
}

impl ClientIdentity {
    /// Loads `cert` (PEM, leaf first, intermediates after) and `key` (PEM: PKCS#8, PKCS#1 or
    /// SEC1), and checks that rustls accepts them together (the key matches the leaf).
    pub fn load(cert: &Path, key: &Path) -> Result<ClientIdentity, TlsError> {
        let chain = certificates(cert)?;
        let text = read(key)?;
        let key_der = PrivateKeyDer::from_pem_slice(&text).map_err(|e| TlsError::Pem {
            path: key.to_path_buf(),
            problem: pem_problem(e, "PRIVATE KEY"),
        })?;
        let identity = ClientIdentity {
            chain,
            key: Arc::new(key_der),
        };
        let opts = TlsOptions {
            identity: Some(identity.clone()),
            ..TlsOptions::default()
        };
        client_tls_config(&opts, &[]).map_err(|source| TlsError::Identity {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            source,
        })?;
        Ok(identity)
    }
}

impl PartialEq for ClientIdentity {
    fn eq(&self, other: &Self) -> bool {
        self.chain == other.chain && self.key.secret_der() == other.key.secret_der()
    }
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key's bytes: debug output ends up in logs.
        f.debug_struct("ClientIdentity")
            .field("certificates", &self.chain.len())
            .finish_non_exhaustive()
    }
}

/// Loads a PEM bundle of CA certificates and checks each can be a trust anchor.
pub fn load_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = certificates(path)?;
    for (i, cert) in certs.iter().enumerate() {
        RootCertStore::empty()
            .add(cert.clone())
            .map_err(|source| TlsError::BadCa {
                path: path.to_path_buf(),
                index: i + 1,
                source,
            })?;
    }
    Ok(certs)
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let text = read(path)?;
    let pem = |problem| TlsError::Pem {
        path: path.to_path_buf(),
        problem,
    };
    let certs = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem(pem_problem(e, "CERTIFICATE")))?;
    match certs.is_empty() {
        true => Err(pem(pem_problem(
            rustls::pki_types::pem::Error::NoItemsFound,
            "CERTIFICATE",
        ))),
        false => Ok(certs),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn pem_problem(e: rustls::pki_types::pem::Error, kind: &str) -> String {
    match e {
        rustls::pki_types::pem::Error::NoItemsFound => {
            format!("no PEM {kind} block (expected -----BEGIN {kind}-----)")
        }
        other => format!("not valid PEM: {other}"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use loadgen_testkit::pki::Pki;

    fn dir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("loadgen-tls-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        Pki::new("api.staging.example").write(&d);
        d
    }

    #[test]
    fn an_identity_loads_only_with_its_own_key_and_never_prints_it() {
        let d = dir("identity");
        let id = ClientIdentity::load(&d.join("client.pem"), &d.join("client.key")).unwrap();
        let shown = format!("{id:?}");
        assert!(shown.contains("certificates: 1"), "{shown}");
        assert!(!shown.contains("key:"), "{shown}");
        let wrong = ClientIdentity::load(&d.join("client.pem"), &d.join("server.key"));
        assert!(matches!(wrong, Err(TlsError::Identity { .. })), "{wrong:?}");
        let not_a_key = ClientIdentity::load(&d.join("client.pem"), &d.join("ca.pem"));
        assert!(
            matches!(not_a_key, Err(TlsError::Pem { .. })),
            "{not_a_key:?}"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_ca_file_needs_certificates() {
        let d = dir("ca");
        assert_eq!(load_ca_file(&d.join("ca.pem")).unwrap().len(), 1);
        assert!(matches!(
            load_ca_file(&d.join("client.key")),
            Err(TlsError::Pem { .. })
        ));
        assert!(matches!(
            load_ca_file(&d.join("absent.pem")),
            Err(TlsError::Read { .. })
        ));
        std::fs::remove_dir_all(&d).unwrap();
    }
}
