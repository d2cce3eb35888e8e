//! A response's header block decoded: `:status` first and once, no request pseudo-field, a
//! well-formed `content-length`; the regular fields of a final head handed over in order.
//! Shared by a VU's own connection ([`crate::ready`]) and a shared one ([`crate::mux`]).

use crate::hpack::Decoder;

/// Why a block was refused.
pub(crate) enum Bad {
    /// It did not decode: the connection's table is out of step (a connection error).
    Table,
    /// It decoded, but is not a response head (a fault of its stream).
    Malformed,
}

/// Decodes `block` with the connection's table: the status and the `content-length` (only
/// read from a final head, 200 or over); `field` sees each regular field of a final head.
pub(crate) fn decode_head(
    hpack: &mut Decoder,
    block: &[u8],
    mut field: impl FnMut(&[u8], &[u8]),
) -> Result<(u16, Option<u64>), Bad> {
    let mut code: Option<u16> = None;
    let mut length = None;
    let mut bad = false;
    hpack
        .decode(block, |name, value| {
            if name == b":status" {
                code = match (code, parse_status(value)) {
                    (None, Some(c)) => Some(c),
                    _ => {
                        bad = true;
                        code
                    }
                };
            } else if code.is_none() || name.first() == Some(&b':') {
                // A field before the status, or a request's pseudo-field.
                bad = true;
            } else if code.is_some_and(|c| c >= 200) {
                if name == b"content-length" {
                    length = parse_length(value);
                    bad |= length.is_none();
                }
                field(name, value);
            }
        })
        .map_err(|_| Bad::Table)?;
    match code {
        Some(c) if !bad => Ok((c, length)),
        _ => Err(Bad::Malformed),
    }
}

fn parse_status(v: &[u8]) -> Option<u16> {
    match v {
        [a @ b'1'..=b'9', b @ b'0'..=b'9', c @ b'0'..=b'9'] => {
            Some((a - b'0') as u16 * 100 + (b - b'0') as u16 * 10 + (c - b'0') as u16)
        }
        _ => None,
    }
}

fn parse_length(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 {
        return None;
    }
    v.iter().try_fold(0u64, |n, d| match d {
        b'0'..=b'9' => Some(n * 10 + (d - b'0') as u64),
        _ => None,
    })
}
