//! Mutual proof of the shared secret, bound to the TLS session.
//!
//! Each side sends `Hello` with a fresh 32-byte nonce, then
//! `Proof{ HMAC-SHA256(secret, "loadgen-v1" | role | exported_key | nonce_c | nonce_w) }`
//! where `exported_key` is the session's exported keying material ([`crate::tls`]). A man in
//! the middle terminates two TLS sessions with two different exported keys, so he can neither
//! relay a proof nor make one without the secret. Proofs are compared in constant time.

use crate::error::FleetError;
use crate::frame::{read_msg, write_msg};
use crate::protocol::{Msg, PROTOCOL_VERSION};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::Path;
use tokio::io::{AsyncRead, AsyncWrite};

type HmacSha256 = Hmac<Sha256>;

/// Shortest secret accepted (bytes).
pub const MIN_SECRET: usize = 16;

/// The shared secret of a fleet.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    /// From raw text (surrounding whitespace removed); at least [`MIN_SECRET`] bytes.
    pub fn new(text: &str) -> Result<Secret, FleetError> {
        let t = text.trim();
        if t.len() < MIN_SECRET {
            return Err(FleetError::Auth(format!(
                "the shared secret must be at least {MIN_SECRET} bytes (e.g. `openssl rand -hex 32`)"
            )));
        }
        Ok(Secret(t.as_bytes().to_vec()))
    }

    /// From `--secret-file`, else the `LOADGEN_SECRET` value given; no secret, no work.
    pub fn resolve(file: Option<&Path>, env: Option<String>) -> Result<Secret, FleetError> {
        match (file, env) {
            (Some(f), _) => {
                let t = std::fs::read_to_string(f).map_err(|e| FleetError::io(f, e))?;
                Secret::new(&t)
            }
            (None, Some(v)) => Secret::new(&v),
            (None, None) => Err(FleetError::Auth(
                "no shared secret: set LOADGEN_SECRET or pass --secret-file (same value on the \
                 coordinator and every worker)"
                    .into(),
            )),
        }
    }

    /// From `--secret-file` when given, else the `LOADGEN_SECRET` environment variable.
    pub fn from_file_or_env(file: Option<&Path>) -> Result<Secret, FleetError> {
        Secret::resolve(file, std::env::var("LOADGEN_SECRET").ok())
    }

    fn mac(&self, role: &str, key: &[u8; 32], nonce_c: &[u8], nonce_w: &[u8]) -> HmacSha256 {
        let mut m = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        m.update(b"loadgen-v1|");
        m.update(role.as_bytes());
        m.update(b"|");
        m.update(key);
        m.update(nonce_c);
        m.update(nonce_w);
        m
    }
}

fn nonce() -> [u8; 32] {
    rand::random()
}

/// Runs the handshake as `role` (`coordinator` or `worker`) on an established TLS stream
/// whose exported key is `key`. Returns the number of bytes sent.
pub async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    role: &str,
    secret: &Secret,
    key: &[u8; 32],
) -> Result<usize, FleetError> {
    let peer_role = if role == "coordinator" {
        "worker"
    } else {
        "coordinator"
    };
    let mine = nonce();
    let mut sent = write_msg(
        stream,
        &Msg::Hello {
            protocol: PROTOCOL_VERSION,
            loadgen_version: env!("CARGO_PKG_VERSION").to_string(),
            role: role.to_string(),
            nonce: hex::encode(mine),
        },
    )
    .await?;
    let theirs = match read_msg(stream).await? {
        Some((
            Msg::Hello {
                protocol,
                loadgen_version,
                role: r,
                nonce,
            },
            _,
        )) => {
            if protocol != PROTOCOL_VERSION || loadgen_version != env!("CARGO_PKG_VERSION") {
                return Err(FleetError::Auth(format!(
                    "version mismatch: peer runs loadgen {loadgen_version} (protocol {protocol}), \
                     this is {} (protocol {PROTOCOL_VERSION})",
                    env!("CARGO_PKG_VERSION")
                )));
            }
            if r != peer_role {
                return Err(FleetError::Auth(format!(
                    "peer says it is a {r}; expected a {peer_role}"
                )));
            }
            hex::decode(&nonce)
                .ok()
                .filter(|n| n.len() == 32)
                .ok_or_else(|| FleetError::Protocol("hello nonce is not 32 hex bytes".into()))?
        }
        Some((other, _)) => {
            return Err(FleetError::Protocol(format!(
                "expected hello, got {other:?}"
            )))
        }
        None => return Err(FleetError::Net("peer closed during the handshake".into())),
    };
    let (nonce_c, nonce_w) = if role == "coordinator" {
        (mine.to_vec(), theirs)
    } else {
        (theirs, mine.to_vec())
    };
    let proof = secret.mac(role, key, &nonce_c, &nonce_w).finalize();
    sent += write_msg(
        stream,
        &Msg::Proof {
            mac: hex::encode(proof.into_bytes()),
        },
    )
    .await?;
    match read_msg(stream).await? {
        Some((Msg::Proof { mac }, _)) => {
            let bytes = hex::decode(&mac).unwrap_or_default();
            secret
                .mac(peer_role, key, &nonce_c, &nonce_w)
                .verify_slice(&bytes)
                .map_err(|_| {
                    FleetError::Auth(format!(
                        "the {peer_role} does not hold the shared secret (or the TLS session is \
                         intercepted)"
                    ))
                })?;
        }
        Some((Msg::Refused { reason }, _)) => return Err(FleetError::Auth(reason)),
        Some((other, _)) => {
            return Err(FleetError::Protocol(format!(
                "expected proof, got {other:?}"
            )))
        }
        None => {
            return Err(FleetError::Auth(format!(
                "the {peer_role} closed the connection during authentication (wrong secret?)"
            )))
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn same_secret_and_session_pass_anything_else_fails() {
        let s = Secret::new("0123456789abcdef-shared").unwrap();
        let key = [7u8; 32];
        let (mut a, mut b) = tokio::io::duplex(1 << 16);
        let (x, y) = tokio::join!(
            handshake(&mut a, "coordinator", &s, &key),
            handshake(&mut b, "worker", &s, &key)
        );
        x.unwrap();
        y.unwrap();

        let wrong = Secret::new("another-secret-of-16+").unwrap();
        let (mut a, mut b) = tokio::io::duplex(1 << 16);
        let (x, y) = tokio::join!(
            handshake(&mut a, "coordinator", &s, &key),
            handshake(&mut b, "worker", &wrong, &key)
        );
        assert!(x.is_err() && y.is_err());

        // Same secret, different sessions (a man in the middle's two legs): refused.
        let (mut a, mut b) = tokio::io::duplex(1 << 16);
        let (x, y) = tokio::join!(
            handshake(&mut a, "coordinator", &s, &key),
            handshake(&mut b, "worker", &s, &[8u8; 32])
        );
        assert!(x.is_err() && y.is_err());
        assert!(Secret::new("short").is_err());

        // A peer of another protocol version is refused before any proof is exchanged.
        let (mut a, mut b) = tokio::io::duplex(1 << 16);
        let old = Msg::Hello {
            protocol: PROTOCOL_VERSION + 1,
            loadgen_version: "0.0.0".into(),
            role: "worker".into(),
            nonce: hex::encode([1u8; 32]),
        };
        let (x, _) = tokio::join!(handshake(&mut a, "coordinator", &s, &key), async {
            write_msg(&mut b, &old).await.unwrap();
            let _ = read_msg(&mut b).await;
        });
        let e = x.unwrap_err().to_string();
        assert!(e.contains("version mismatch") && e.contains("0.0.0"), "{e}");
        assert!(Secret::resolve(None, None).is_err());
    }
}
