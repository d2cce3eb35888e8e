//! HTTP/2 frame layout (RFC 9113 4 and 6): the constants this crate uses and the few
//! frames it writes.

pub(crate) const DATA: u8 = 0x0;
pub(crate) const HEADERS: u8 = 0x1;
pub(crate) const PRIORITY: u8 = 0x2;
pub(crate) const RST_STREAM: u8 = 0x3;
pub(crate) const SETTINGS: u8 = 0x4;
pub(crate) const PUSH_PROMISE: u8 = 0x5;
pub(crate) const PING: u8 = 0x6;
pub(crate) const GOAWAY: u8 = 0x7;
pub(crate) const WINDOW_UPDATE: u8 = 0x8;
pub(crate) const CONTINUATION: u8 = 0x9;

pub(crate) const END_STREAM: u8 = 0x1;
pub(crate) const ACK: u8 = 0x1;
pub(crate) const END_HEADERS: u8 = 0x4;
pub(crate) const PADDED: u8 = 0x8;
pub(crate) const PRIORITY_FLAG: u8 = 0x20;

/// The frame header's length.
pub(crate) const HEAD: usize = 9;
/// Our `SETTINGS_MAX_FRAME_SIZE` (the default): a larger frame is a `FRAME_SIZE_ERROR`.
pub(crate) const MAX_FRAME: usize = 16_384;
/// The default window of a stream and of the connection.
pub(crate) const DEFAULT_WINDOW: i64 = 65_535;
/// The largest window (2^31 - 1).
pub(crate) const MAX_WINDOW: i64 = (1 << 31) - 1;

/// Our receive windows: the `h2` path's (hyper's client defaults), so a large answer
/// streams without waiting for window updates.
pub(crate) const STREAM_WINDOW: i64 = 2 << 20;
pub(crate) const CONN_WINDOW: i64 = 5 << 20;

/// Error codes (RFC 9113 7) that say the peer saw a fault of the protocol: an `RST_STREAM`
/// or `GOAWAY` with one of them is a `Protocol` outcome, any other a `Reset`.
pub(crate) fn is_protocol_fault(code: u32) -> bool {
    // PROTOCOL_ERROR, FLOW_CONTROL_ERROR, FRAME_SIZE_ERROR, COMPRESSION_ERROR.
    matches!(code, 0x1 | 0x3 | 0x6 | 0x9)
}

/// A frame header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Head {
    pub(crate) len: usize,
    pub(crate) kind: u8,
    pub(crate) flags: u8,
    pub(crate) stream: u32,
}

impl Head {
    /// The header at the start of `buf` (which holds at least [`HEAD`] bytes).
    pub(crate) fn parse(buf: &[u8]) -> Head {
        Head {
            len: (buf[0] as usize) << 16 | (buf[1] as usize) << 8 | buf[2] as usize,
            kind: buf[3],
            flags: buf[4],
            stream: u32::from_be_bytes([buf[5], buf[6], buf[7], buf[8]]) & 0x7fff_ffff,
        }
    }
}

/// Appends a frame header.
pub(crate) fn put_head(out: &mut Vec<u8>, len: usize, kind: u8, flags: u8, stream: u32) {
    out.extend_from_slice(&[(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags]);
    out.extend_from_slice(&stream.to_be_bytes());
}

/// Writes a frame header over the 9 bytes at `at`.
pub(crate) fn set_head(out: &mut [u8], at: usize, len: usize, kind: u8, flags: u8, stream: u32) {
    out[at..at + 5].copy_from_slice(&[(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags]);
    out[at + 5..at + 9].copy_from_slice(&stream.to_be_bytes());
}

/// Appends a `WINDOW_UPDATE`.
pub(crate) fn put_window_update(out: &mut Vec<u8>, stream: u32, increment: u32) {
    put_head(out, 4, WINDOW_UPDATE, 0, stream);
    out.extend_from_slice(&increment.to_be_bytes());
}

/// Appends an `RST_STREAM`.
pub(crate) fn put_rst(out: &mut Vec<u8>, stream: u32, code: u32) {
    put_head(out, 4, RST_STREAM, 0, stream);
    out.extend_from_slice(&code.to_be_bytes());
}

/// The connection preface, our `SETTINGS` (no push, a 2 MiB stream window) and the
/// connection window raised to 5 MiB: what the `h2` path sends first.
pub(crate) fn put_preface(out: &mut Vec<u8>) {
    out.extend_from_slice(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    put_head(out, 12, SETTINGS, 0, 0);
    out.extend_from_slice(&[0, 2, 0, 0, 0, 0]);
    out.extend_from_slice(&[0, 4]);
    out.extend_from_slice(&(STREAM_WINDOW as u32).to_be_bytes());
    put_window_update(out, 0, (CONN_WINDOW - DEFAULT_WINDOW) as u32);
}
