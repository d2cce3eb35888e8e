//! Provider signature schemes, byte for byte as the providers define them, so that their own
//! verification libraries accept what loadgen sends.
//!
//! | scheme   | header(s)                                              | MAC input                     | key                         |
//! |----------|--------------------------------------------------------|-------------------------------|-----------------------------|
//! | Stripe   | `Stripe-Signature: t={ts},v1={hex}`                    | `{ts}.{body}`                 | the secret's text (`whsec_…`) |
//! | GitHub   | `X-Hub-Signature-256: sha256={hex}`                    | `{body}`                      | the secret's text           |
//! | Standard | `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,{base64}` | `{id}.{ts}.{body}` | base64-decoded part after `whsec_` |
//! | Square   | `x-square-hmacsha256-signature: {base64}`              | `{notification_url}{body}`    | the signature key's text    |
//! | Shopify  | `X-Shopify-Hmac-Sha256: {base64}`                      | `{body}`                      | the secret's text           |
//! | Generic  | configurable header, prefix, hex/base64                | body, `{ts}.{body}` or `{id}.{ts}.{body}` | the secret's text |
//!
//! The MAC is keyed once per [`Signer`]; each signature clones the keyed state, so a
//! delivery pays two compression passes over the key block plus the message, not the key
//! schedule.

use crate::error::WebhookError;
use crate::secret::Secret;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use http::{HeaderName, HeaderValue};
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use std::fmt::Write;

/// Which provider's rules a delivery is signed by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheme {
    /// Stripe.
    Stripe,
    /// GitHub (`X-Hub-Signature-256`).
    GitHub,
    /// Standard Webhooks (also Svix).
    Standard,
    /// Square; the notification URL is part of what is signed.
    Square {
        /// The URL exactly as registered with Square (scheme, host, path, query).
        notification_url: String,
    },
    /// Shopify.
    Shopify,
    /// Any HMAC header scheme.
    Generic(GenericScheme),
}

impl Scheme {
    /// Name used in scenario files.
    pub fn name(&self) -> &'static str {
        match self {
            Scheme::Stripe => "stripe",
            Scheme::GitHub => "github",
            Scheme::Standard => "standard",
            Scheme::Square { .. } => "square",
            Scheme::Shopify => "shopify",
            Scheme::Generic(_) => "generic",
        }
    }

    /// True when the signature covers a timestamp (so a stale delivery can be built).
    pub fn signs_timestamp(&self) -> bool {
        match self {
            Scheme::Stripe | Scheme::Standard => true,
            Scheme::Generic(g) => g.signed != Signed::Body,
            _ => false,
        }
    }
}

/// The configurable scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenericScheme {
    /// Header carrying the signature (lower case).
    pub header: String,
    /// Hash function of the HMAC.
    pub algorithm: Algorithm,
    /// How the MAC is written.
    pub encoding: Encoding,
    /// What is signed.
    pub signed: Signed,
    /// Text before the encoded MAC (`sha256=`).
    pub prefix: String,
    /// Header carrying the timestamp, when one is signed.
    pub timestamp_header: Option<String>,
    /// Header carrying the event id, when one is signed.
    pub id_header: Option<String>,
}

/// Hash function of an HMAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// HMAC-SHA1 (legacy providers).
    Sha1,
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

/// Text encoding of a MAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Lower-case hex.
    Hex,
    /// Standard base64 with padding.
    Base64,
}

/// What a generic signature covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed {
    /// The raw body.
    Body,
    /// `{timestamp}.{body}`.
    TimestampBody,
    /// `{id}.{timestamp}.{body}`.
    IdTimestampBody,
}

/// One delivery to sign.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// Event id (`evt_…`, `msg_…`); providers keep it across retries.
    pub id: &'a str,
    /// Unix seconds of this attempt.
    pub timestamp: u64,
    /// The exact body bytes sent.
    pub body: &'a [u8],
}

#[derive(Clone)]
enum Key {
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha512(Hmac<Sha512>),
}

impl Key {
    fn new(algorithm: Algorithm, key: &[u8]) -> Self {
        // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
        match algorithm {
            Algorithm::Sha1 => Key::Sha1(Hmac::new_from_slice(key).expect("any key length")),
            Algorithm::Sha256 => Key::Sha256(Hmac::new_from_slice(key).expect("any key length")),
            Algorithm::Sha512 => Key::Sha512(Hmac::new_from_slice(key).expect("any key length")),
        }
    }

    /// MAC of the concatenation of `parts`, written into `out` (cleared first).
    fn mac(&self, parts: &[&[u8]], out: &mut Vec<u8>) {
        fn run<M: Mac + Clone>(m: &M, parts: &[&[u8]], out: &mut Vec<u8>) {
            let mut m = m.clone();
            for p in parts {
                m.update(p);
            }
            out.clear();
            out.extend_from_slice(&m.finalize().into_bytes());
        }
        match self {
            Key::Sha1(m) => run(m, parts, out),
            Key::Sha256(m) => run(m, parts, out),
            Key::Sha512(m) => run(m, parts, out),
        }
    }
}

/// What a header a [`Signer`] adds to a delivery carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The signature ([`Signer::signature`]).
    Signature,
    /// The attempt's timestamp, in decimal Unix seconds.
    Timestamp,
    /// The event id.
    Id,
    /// The event type.
    EventType,
}

/// Signs deliveries for one scheme and secret. Cheap to share (`Clone`).
#[derive(Clone)]
pub struct Signer {
    scheme: Scheme,
    key: Key,
    /// The headers a delivery carries, in the order they are sent (the signature's first).
    fields: Vec<(HeaderName, Field)>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("scheme", &self.scheme)
            .field("key", &"***")
            .finish()
    }
}

/// Reused buffers of one VU, so signing allocates only the header values.
#[derive(Debug, Default)]
pub struct Scratch {
    mac: Vec<u8>,
    text: String,
    ts: String,
}

/// Decodes a Standard Webhooks secret: `whsec_` (optional) then standard base64.
pub fn standard_key(secret: &Secret) -> Result<Vec<u8>, WebhookError> {
    let text = secret.expose();
    let b64 = text.strip_prefix("whsec_").unwrap_or(text);
    B64.decode(b64).map_err(|_| WebhookError::BadStandardSecret)
}

impl Signer {
    /// A signer for `scheme` keyed with `secret`.
    pub fn new(scheme: Scheme, secret: &Secret) -> Result<Self, WebhookError> {
        if secret.is_empty() {
            return Err(WebhookError::EmptySecret);
        }
        let (algorithm, key_bytes) = match &scheme {
            Scheme::Standard => (Algorithm::Sha256, standard_key(secret)?),
            Scheme::Generic(g) => (g.algorithm, secret.expose().as_bytes().to_vec()),
            _ => (Algorithm::Sha256, secret.expose().as_bytes().to_vec()),
        };
        let header = match &scheme {
            Scheme::Stripe => "stripe-signature",
            Scheme::GitHub => "x-hub-signature-256",
            Scheme::Standard => "webhook-signature",
            Scheme::Square { .. } => "x-square-hmacsha256-signature",
            Scheme::Shopify => "x-shopify-hmac-sha256",
            Scheme::Generic(g) => g.header.as_str(),
        };
        let name = |h: &str| {
            HeaderName::from_bytes(h.as_bytes()).map_err(|_| WebhookError::BadHeader(h.to_owned()))
        };
        let fixed = HeaderName::from_static;
        let mut fields = vec![(name(header)?, Field::Signature)];
        match &scheme {
            Scheme::Standard => fields.extend([
                (fixed("webhook-id"), Field::Id),
                (fixed("webhook-timestamp"), Field::Timestamp),
            ]),
            Scheme::GitHub => fields.extend([
                (fixed("x-github-delivery"), Field::Id),
                (fixed("x-github-event"), Field::EventType),
            ]),
            Scheme::Shopify => fields.extend([
                (fixed("x-shopify-webhook-id"), Field::Id),
                (fixed("x-shopify-topic"), Field::EventType),
            ]),
            Scheme::Generic(g) => {
                if let Some(h) = g.timestamp_header.as_deref() {
                    fields.push((name(h)?, Field::Timestamp));
                }
                if let Some(h) = g.id_header.as_deref() {
                    fields.push((name(h)?, Field::Id));
                }
            }
            Scheme::Stripe | Scheme::Square { .. } => {}
        }
        Ok(Signer {
            key: Key::new(algorithm, &key_bytes),
            scheme,
            fields,
        })
    }

    /// The headers every delivery carries, in the order they are sent: the signature's, then
    /// the scheme's timestamp, id and event-type headers.
    pub fn fields(&self) -> &[(HeaderName, Field)] {
        &self.fields
    }

    /// The scheme.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// The signature header's value for `msg` (written into `scratch.text`).
    pub fn signature<'s>(&self, msg: &Message<'_>, scratch: &'s mut Scratch) -> &'s str {
        let Scratch { mac, text, ts } = scratch;
        ts.clear();
        let _ = write!(ts, "{}", msg.timestamp);
        text.clear();
        match &self.scheme {
            Scheme::Stripe => {
                self.key.mac(&[ts.as_bytes(), b".", msg.body], mac);
                let _ = write!(text, "t={ts},v1=");
                push_hex(text, mac);
            }
            Scheme::GitHub => {
                self.key.mac(&[msg.body], mac);
                text.push_str("sha256=");
                push_hex(text, mac);
            }
            Scheme::Standard => {
                self.key.mac(
                    &[msg.id.as_bytes(), b".", ts.as_bytes(), b".", msg.body],
                    mac,
                );
                text.push_str("v1,");
                B64.encode_string(&mac[..], text);
            }
            Scheme::Square { notification_url } => {
                self.key.mac(&[notification_url.as_bytes(), msg.body], mac);
                B64.encode_string(&mac[..], text);
            }
            Scheme::Shopify => {
                self.key.mac(&[msg.body], mac);
                B64.encode_string(&mac[..], text);
            }
            Scheme::Generic(g) => {
                match g.signed {
                    Signed::Body => self.key.mac(&[msg.body], mac),
                    Signed::TimestampBody => self.key.mac(&[ts.as_bytes(), b".", msg.body], mac),
                    Signed::IdTimestampBody => self.key.mac(
                        &[msg.id.as_bytes(), b".", ts.as_bytes(), b".", msg.body],
                        mac,
                    ),
                }
                text.push_str(&g.prefix);
                match g.encoding {
                    Encoding::Hex => push_hex(text, mac),
                    Encoding::Base64 => B64.encode_string(&mac[..], text),
                }
            }
        }
        text
    }

    /// Every header a delivery of `msg` carries (signature, timestamp, id, event type, as
    /// [`Signer::fields`] lists them), appended to `out`. `event_type` names the event for
    /// the providers that send it in a header (GitHub, Shopify).
    pub fn headers(
        &self,
        msg: &Message<'_>,
        event_type: &str,
        scratch: &mut Scratch,
        out: &mut Vec<(HeaderName, HeaderValue)>,
    ) {
        let value = |s: &str| HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static("-"));
        self.signature(msg, scratch);
        for (name, field) in &self.fields {
            let text = field_text(*field, msg, event_type, scratch);
            out.push((name.clone(), value(text)));
        }
    }
}

/// The text of `field` for `msg`, once [`Signer::signature`] has filled `scratch`.
pub(crate) fn field_text<'a>(
    field: Field,
    msg: &Message<'a>,
    event_type: &'a str,
    scratch: &'a Scratch,
) -> &'a str {
    match field {
        Field::Signature => &scratch.text,
        Field::Timestamp => &scratch.ts,
        Field::Id => msg.id,
        Field::EventType => event_type,
    }
}

/// True when `text` is a valid header value as `HeaderValue::from_str` takes it (no control
/// character but tab); a delivery sends `-` in place of any other.
pub(crate) fn is_header_text(text: &str) -> bool {
    text.bytes().all(|b| (b >= 32 && b != 127) || b == b'\t')
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case() {
        let mut s = String::new();
        push_hex(&mut s, &[0x00, 0xab, 0xff]);
        assert_eq!(s, "00abff");
    }

    #[test]
    fn debug_hides_the_key() {
        let s = Signer::new(Scheme::GitHub, &Secret::new("hunter2")).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
