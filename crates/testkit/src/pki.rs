//! A throwaway PKI for TLS tests: a CA, a server leaf for one name and a client leaf signed by
//! it, and a second CA that nobody trusts, all made fresh with `rcgen`; and a rustls server
//! configuration that serves the leaf and, if asked, demands a client certificate of the CA.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

/// PEM text of every part.
#[derive(Debug, Clone)]
pub struct Pki {
    /// The CA that signed both leaves.
    pub ca: String,
    /// A CA that signed nothing here (to trust the wrong CA).
    pub other_ca: String,
    /// The server leaf (for the name given to [`Pki::new`]) and its key.
    pub server: (String, String),
    /// The client leaf (extended key usage: client auth) and its key.
    pub client: (String, String),
}

impl Pki {
    /// A fresh PKI whose server leaf is for `server_name`.
    ///
    /// # Panics
    /// When `rcgen` fails, which is a broken test setup.
    pub fn new(server_name: &str) -> Pki {
        let ca = |cn: &str| {
            let mut p = CertificateParams::new(Vec::<String>::new()).expect("CA params");
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p.distinguished_name.push(DnType::CommonName, cn);
            p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            let key = KeyPair::generate().expect("CA key");
            let cert = p.self_signed(&key).expect("CA certificate");
            (cert, key)
        };
        let (ca_cert, ca_key) = ca("loadgen test CA");
        let (other, _) = ca("someone else's CA");
        let leaf = |names: Vec<String>, usage| {
            let mut p = CertificateParams::new(names).expect("leaf params");
            p.extended_key_usages = vec![usage];
            let key = KeyPair::generate().expect("leaf key");
            let cert = p
                .signed_by(&key, &ca_cert, &ca_key)
                .expect("leaf certificate");
            (cert.pem(), key.serialize_pem())
        };
        Pki {
            ca: ca_cert.pem(),
            other_ca: other.pem(),
            server: leaf(
                vec![server_name.into()],
                ExtendedKeyUsagePurpose::ServerAuth,
            ),
            client: leaf(vec!["loadgen".into()], ExtendedKeyUsagePurpose::ClientAuth),
        }
    }

    /// Writes `ca.pem`, `other-ca.pem`, `server.pem`, `server.key`, `client.pem` and
    /// `client.key` into `dir`.
    ///
    /// # Panics
    /// When a file cannot be written.
    pub fn write(&self, dir: &Path) {
        for (name, text) in [
            ("ca.pem", &self.ca),
            ("other-ca.pem", &self.other_ca),
            ("server.pem", &self.server.0),
            ("server.key", &self.server.1),
            ("client.pem", &self.client.0),
            ("client.key", &self.client.1),
        ] {
            std::fs::write(dir.join(name), text).expect("writing a PEM file");
        }
    }

    /// A rustls server serving the leaf, offering `alpn`; with `require_client_cert` it
    /// refuses clients without a certificate signed by the CA.
    ///
    /// # Panics
    /// When rustls refuses the parts, which is a broken test setup.
    pub fn server_config(&self, require_client_cert: bool, alpn: &[&[u8]]) -> rustls::ServerConfig {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("protocol versions");
        let builder = if require_client_cert {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(der(&self.ca)).expect("CA as a root");
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .expect("client verifier");
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let key = PrivateKeyDer::from_pem_slice(self.server.1.as_bytes()).expect("server key");
        let mut config = builder
            .with_single_cert(vec![der(&self.server.0)], key)
            .expect("server certificate");
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        config
    }
}

/// The DER of a PEM certificate (the CA, to trust it without a file).
///
/// # Panics
/// When `pem` holds no certificate.
pub fn der(pem: &str) -> CertificateDer<'static> {
    CertificateDer::from_pem_slice(pem.as_bytes()).expect("a PEM certificate")
}
