//! Captured values escaped for the place they land in (path, header, JSON, raw text).

use super::{Place, Vars};
use bytes::BytesMut;

/// Appends a captured value escaped for `place`, or marks the request refused.
pub(super) fn write_capture(slot: usize, place: Place, vars: &mut Vars<'_>, buf: &mut BytesMut) {
    let Some(value) = vars.captures.and_then(|s| s.get(slot)) else {
        vars.refused = true;
        return;
    };
    match place {
        Place::Path => percent_encode(value, buf),
        Place::Json => json_escape(value, buf),
        Place::Text => buf.extend_from_slice(value),
        // A CR or LF would end the header and start another one the target never sent us.
        Place::Header
            if value
                .iter()
                .any(|b| (*b < 0x20 && *b != b'\t') || *b == 0x7f) =>
        {
            vars.refused = true
        }
        Place::Header => buf.extend_from_slice(value),
    }
}

/// `value` escaped for `place` as a captured value is; `None` when it cannot go there (a
/// control character in a header value).
pub fn escaped(place: Place, value: &[u8]) -> Option<bytes::Bytes> {
    let mut buf = BytesMut::new();
    match place {
        Place::Path => percent_encode(value, &mut buf),
        Place::Json => json_escape(value, &mut buf),
        Place::Text => buf.extend_from_slice(value),
        Place::Header
            if value
                .iter()
                .any(|b| (*b < 0x20 && *b != b'\t') || *b == 0x7f) =>
        {
            return None
        }
        Place::Header => buf.extend_from_slice(value),
    }
    Some(buf.freeze())
}

/// RFC 3986 percent-encoding of everything but unreserved bytes: a captured `/`, `?`, `#` or
/// `@` cannot change the path's shape, let alone the host.
fn percent_encode(value: &[u8], buf: &mut BytesMut) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in value {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            buf.extend_from_slice(&[b]);
        } else {
            buf.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
}

/// Escapes a value for the inside of a JSON string (quotes, backslashes, control bytes).
fn json_escape(value: &[u8], buf: &mut BytesMut) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in value {
        match b {
            b'"' => buf.extend_from_slice(b"\\\""),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            0..0x20 => buf.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]),
            _ => buf.extend_from_slice(&[b]),
        }
    }
}
