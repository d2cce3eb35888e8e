//! Deliveries on the HTTP crate's pre-encoded HTTP/1.1 fast path
//! ([`loadgen_http::fast::RawLink`]): each delivery step's request is laid out once, when the
//! factory is built, in the exact bytes hyper would send; per attempt only the signer's
//! header values (signature, timestamp, id, event type), the `content-length` and the body are
//! written, into the VU's reused request buffer. No header map, no header value, no URI and
//! no body copy per delivery: the signature is computed into the VU's scratch and copied
//! straight into the request.
//!
//! The layout is hyper's: the request line with the URI as `http::Uri` prints it (a
//! `#fragment` dropped), then the headers in the order of a `HeaderMap` built as the hyper
//! path builds its request (`content-type`, `host`, the `[http]` headers, the step's, the
//! signer's; a name given again is sent beside its first value), then `content-length` for a
//! non-empty body. The layout is computed by building that very map, so the two cannot drift.
//!
//! A step takes hyper's path instead when a header of the workload sets the message framing
//! ([`loadgen_http::fast::leaves_framing_to_hyper`]) or its URI does not parse (hyper's path
//! then counts every attempt as a `Protocol` fault, as before).

use crate::conn::Answer;
use crate::sign::{field_text, is_header_text, Field, Message, Scratch, Signer};
use crate::step::{DeliveryStep, WebhookClient};
use http::header::{CONTENT_TYPE, HOST};
use http::{HeaderMap, HeaderName, HeaderValue, Uri};
use loadgen_engine::Setup;
use loadgen_http::fast::RawLink;
use loadgen_http::Dialer;
use std::io::Write as _;

/// A header's value in the layout: fixed, or one of the signer's per attempt.
enum Slot {
    Fixed(HeaderValue),
    Signer(Field),
}

/// A part of the request head.
enum Piece {
    Lit(Vec<u8>),
    Signer(Field),
}

/// One delivery step's request head, laid out once.
pub(crate) struct Layout {
    pieces: Vec<Piece>,
}

impl Layout {
    /// Lays out `d`'s request to `target` (the base URL's path prefix and the step's path)
    /// with `authority` as `Host` and `defaults` (the `[http]` headers); `None` when the step
    /// needs hyper's path.
    pub(crate) fn new(
        d: &DeliveryStep,
        target: &str,
        authority: &HeaderValue,
        defaults: &[(HeaderName, HeaderValue)],
    ) -> Option<Layout> {
        let uri: Uri = target.parse().ok()?;
        // The operations the hyper path makes on its request's header map, in its order.
        let mut map: HeaderMap<Slot> = HeaderMap::default();
        map.append(
            CONTENT_TYPE,
            Slot::Fixed(HeaderValue::from_static("application/json")),
        );
        map.insert(HOST, Slot::Fixed(authority.clone()));
        for (name, value) in defaults.iter().chain(&d.headers) {
            map.append(name.clone(), Slot::Fixed(value.clone()));
        }
        for (name, field) in d.signer.fields() {
            map.append(name.clone(), Slot::Signer(*field));
        }
        if map.keys().any(loadgen_http::fast::leaves_framing_to_hyper) {
            return None;
        }
        let mut pieces = Vec::new();
        let mut lit = format!("POST {uri} HTTP/1.1\r\n").into_bytes();
        for (name, slot) in &map {
            lit.extend_from_slice(name.as_str().as_bytes());
            lit.extend_from_slice(b": ");
            match slot {
                Slot::Fixed(v) => lit.extend_from_slice(v.as_bytes()),
                Slot::Signer(field) => {
                    pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                    pieces.push(Piece::Signer(*field));
                }
            }
            lit.extend_from_slice(b"\r\n");
        }
        pieces.push(Piece::Lit(lit));
        Some(Layout { pieces })
    }

    /// Signs `msg` and writes the whole request carrying `body` into `out` (emptied by the
    /// caller): the same bytes the hyper path sends for it. `msg.body` is what is signed —
    /// `body` itself, or other bytes for a forged signature.
    pub(crate) fn write(
        &self,
        out: &mut Vec<u8>,
        signer: &Signer,
        msg: &Message<'_>,
        event_type: &str,
        scratch: &mut Scratch,
        body: &[u8],
    ) {
        signer.signature(msg, scratch);
        for piece in &self.pieces {
            match piece {
                Piece::Lit(bytes) => out.extend_from_slice(bytes),
                Piece::Signer(field) => {
                    let text = field_text(*field, msg, event_type, scratch);
                    // What `HeaderValue::from_str(..).unwrap_or("-")` sends on hyper's path.
                    match is_header_text(text) {
                        true => out.extend_from_slice(text.as_bytes()),
                        false => out.push(b'-'),
                    }
                }
            }
        }
        // hyper frames a body of known length with `content-length`, an empty one not at all.
        if !body.is_empty() {
            let _ = write!(out, "content-length: {}\r\n", body.len());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
    }
}

/// Sends the request written into `link` (opening the connection first when needed; the
/// phases of a new one go to `setup`) and reads its answer.
pub(crate) async fn send(
    link: &mut RawLink,
    setup: &mut Setup,
    dialer: &Dialer,
    client: &WebhookClient,
) -> Answer {
    let connect = match link.open(dialer, client.connect_timeout).await {
        Ok(Some(phases)) => {
            *setup = phases.setup;
            Some(phases.connect)
        }
        Ok(None) => None,
        Err(outcome) => return Answer::failed(outcome, None),
    };
    let a = link.exchange(client.request_timeout, false).await;
    Answer {
        status: a.status,
        sent: a.sent,
        first_byte: a.first_byte,
        done: a.done,
        connect,
    }
}
