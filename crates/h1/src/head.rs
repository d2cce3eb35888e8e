//! Response heads: `httparse` on the read buffer, then the framing rules of RFC 9112 §6.3 as
//! hyper's client applies them.

use loadgen_engine::Outcome;
use std::mem::MaybeUninit;

/// More response headers than this is a protocol error (hyper's default limit).
pub const MAX_HEADERS: usize = 100;

/// How the body after a head ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body: HEAD request, 204, 304.
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Everything until the server closes the connection.
    UntilClose,
}

/// A final response head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Bytes of the head, blank line included.
    pub len: usize,
    pub status: u16,
    pub framing: Framing,
    /// False when the server closes the connection after this response.
    pub keep_alive: bool,
}

/// What the start of the buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// An incomplete head: read more.
    Partial,
    /// A complete 1xx head of this many bytes, to skip.
    Informational(usize),
    /// The final head.
    Final(Head),
}

/// Parses the head at the start of `buf`. `head_request`: the request was HEAD.
#[inline]
pub fn parse(buf: &[u8], head_request: bool) -> Result<Parsed, Outcome> {
    parse_with(buf, head_request, |_, _| {})
}

/// [`parse`], handing `visit` each header (name, value) of a complete final head, in order
/// (a journey's captures read headers this way, without a copy of the head). Nothing is
/// handed over for a partial or a 1xx head.
#[inline]
pub fn parse_with(
    buf: &[u8],
    head_request: bool,
    mut visit: impl FnMut(&[u8], &[u8]),
) -> Result<Parsed, Outcome> {
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut res = httparse::Response::new(&mut []);
    let len = match httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut res,
        buf,
        &mut headers,
    ) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(Parsed::Partial),
        Err(_) => return Err(Outcome::Protocol),
    };
    let status = res.code.unwrap_or(0);
    match status {
        // Nothing asked for an upgrade; what follows is not HTTP/1.1.
        101 => return Err(Outcome::Protocol),
        100..=199 => return Ok(Parsed::Informational(len)),
        200..=999 => {}
        _ => return Err(Outcome::Protocol),
    }
    let http11 = res.version == Some(1);
    let mut keep_alive = http11;
    let mut saw_close = false;
    let mut chunked = None::<bool>;
    let mut length = None::<u64>;
    let mut bad_length = false;
    for h in res.headers.iter() {
        let name = h.name.as_bytes();
        visit(name, h.value);
        if is(name, b"content-length") {
            match content_length(h.value, length) {
                Some(n) => length = Some(n),
                None => bad_length = true,
            }
        } else if is(name, b"transfer-encoding") {
            // The last encoding of the last header decides.
            let last = h.value.rsplit(|b| *b == b',').next().unwrap_or_default();
            chunked = Some(last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if is(name, b"connection") {
            // `keep-alive` alone, the usual value, needs no token scan for `close`.
            let close = !is(h.value, b"keep-alive") && has_token(h.value, b"close");
            if saw_close || close {
                saw_close = true;
                keep_alive = false;
            } else if !keep_alive {
                keep_alive = has_token(h.value, b"keep-alive");
            }
        }
    }
    let framing = if head_request || status == 204 || status == 304 {
        Framing::Empty
    } else if let Some(chunked) = chunked {
        match (http11, chunked) {
            (false, _) => return Err(Outcome::Protocol),
            (true, true) => Framing::Chunked,
            (true, false) => Framing::UntilClose,
        }
    } else if bad_length {
        return Err(Outcome::Protocol);
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        Framing::UntilClose
    };
    if framing == Framing::UntilClose {
        keep_alive = false;
    }
    Ok(Parsed::Final(Head {
        len,
        status,
        framing,
        keep_alive,
    }))
}

/// True when header name or value `name` is `lower` (lower-case letters and `-`, at least 8
/// bytes) in any case. For the bytes httparse lets through in names and values (no CR, no
/// LF), `b | 0x20` equals a lower-case letter only for that letter in either case, and `-`
/// only for `-`, so OR-ing 8 bytes at a time replaces a case-folding compare.
#[inline]
fn is(name: &[u8], lower: &[u8]) -> bool {
    const FOLD: u64 = u64::from_ne_bytes([0x20; 8]);
    let word = |s: &[u8], at: usize| {
        u64::from_ne_bytes(s[at..at + 8].try_into().expect("a slice of 8 bytes"))
    };
    let n = lower.len();
    debug_assert!(n >= 8);
    if name.len() != n {
        return false;
    }
    let mut at = 0;
    while at + 8 < n {
        if word(name, at) | FOLD != word(lower, at) {
            return false;
        }
        at += 8;
    }
    // The last 8 bytes, overlapping what was compared when `n` is not a multiple of 8.
    word(name, n - 8) | FOLD == word(lower, n - 8)
}

/// One `Content-Length` field (possibly a list) agreeing with what came before; `None` when
/// invalid or conflicting.
fn content_length(value: &[u8], before: Option<u64>) -> Option<u64> {
    if !value.contains(&b',') {
        let n = digits(value.trim_ascii())?;
        return before.is_none_or(|b| b == n).then_some(n);
    }
    let mut seen = before;
    for item in value.split(|b| *b == b',') {
        let n = digits(item.trim_ascii())?;
        if seen.is_some_and(|s| s != n) {
            return None;
        }
        seen = Some(n);
    }
    seen
}

fn digits(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |n, b| match b {
        b'0'..=b'9' => n.checked_mul(10)?.checked_add(u64::from(b - b'0')),
        _ => None,
    })
}

fn has_token(value: &[u8], token: &[u8]) -> bool {
    if !value.contains(&b',') {
        return value.trim_ascii().eq_ignore_ascii_case(token);
    }
    value
        .split(|b| *b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Result<Parsed, Outcome> {
        parse(text.as_bytes(), false)
    }

    fn framing(text: &str) -> (Framing, bool) {
        match head(text) {
            Ok(Parsed::Final(h)) => (h.framing, h.keep_alive),
            other => panic!("{text:?}: {other:?}"),
        }
    }

    #[test]
    fn framing_follows_the_rfc_order() {
        use Framing::*;
        assert_eq!(
            framing("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"),
            (Length(5), true)
        );
        assert_eq!(
            framing("HTTP/1.1 200 OK\r\ncontent-length: 5, 5\r\nContent-Length: 5\r\n\r\n"),
            (Length(5), true)
        );
        assert_eq!(
            framing(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\nContent-Length: 9\r\n\r\n"
            ),
            (Chunked, true)
        );
        assert_eq!(
            framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"),
            (UntilClose, false)
        );
        assert_eq!(framing("HTTP/1.1 200 OK\r\n\r\n"), (UntilClose, false));
        assert_eq!(
            framing("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"),
            (Empty, true)
        );
        assert_eq!(framing("HTTP/1.1 304 Not Modified\r\n\r\n"), (Empty, true));
        let h = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true);
        assert!(matches!(h, Ok(Parsed::Final(Head { framing: Empty, .. }))));
    }

    #[test]
    fn connection_tokens_and_versions() {
        use Framing::*;
        assert_eq!(
            framing(
                "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n"
            ),
            (Length(0), false)
        );
        assert_eq!(
            framing("HTTP/1.1 200 OK\r\nConnection: close\r\nConnection: keep-alive\r\ncontent-length: 0\r\n\r\n"),
            (Length(0), false)
        );
        assert_eq!(
            framing("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"),
            (Length(0), false)
        );
        assert_eq!(
            framing("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"),
            (Length(0), true)
        );
    }

    #[test]
    fn header_names_match_in_any_case() {
        for name in [
            "content-length",
            "Content-Length",
            "CONTENT-LENGTH",
            "cOnTeNt-LeNgTh",
        ] {
            assert!(is(name.as_bytes(), b"content-length"), "{name}");
        }
        for name in [
            "content-lengthx",
            "content-lengtx",
            "xontent-length",
            "content_length",
        ] {
            assert!(!is(name.as_bytes(), b"content-length"), "{name}");
        }
        assert!(is(b"Transfer-Encoding", b"transfer-encoding"));
        assert!(!is(b"Transfer-Encodinh", b"transfer-encoding"));
        assert!(!is(b"Uransfer-Encoding", b"transfer-encoding"));
        assert!(is(b"CONNECTION", b"connection"));
        assert!(is(b"Keep-Alive", b"keep-alive"));
    }

    #[test]
    fn only_a_complete_final_head_hands_over_its_headers_in_order() {
        let mut seen = Vec::new();
        let mut visit = |n: &[u8], v: &[u8]| seen.push((n.to_vec(), v.to_vec()));
        let full = b"HTTP/1.1 200 OK\r\nLocation: /a\r\nETag:  \"1\" \r\ncontent-length: 0\r\n\r\n";
        assert!(matches!(
            parse_with(&full[..30], false, &mut visit),
            Ok(Parsed::Partial)
        ));
        let informational = b"HTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n";
        assert!(matches!(
            parse_with(informational, false, &mut visit),
            Ok(Parsed::Informational(_))
        ));
        assert!(matches!(
            parse_with(full, false, &mut visit),
            Ok(Parsed::Final(_))
        ));
        let names: Vec<_> = seen.iter().map(|(n, v)| (&n[..], &v[..])).collect();
        assert_eq!(
            names,
            [
                (&b"Location"[..], &b"/a"[..]),
                (b"ETag", b"\"1\""),
                (b"content-length", b"0")
            ]
        );
    }

    #[test]
    fn informational_heads_are_skipped_and_partial_heads_wait() {
        assert_eq!(
            head("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"),
            Ok(Parsed::Informational(25))
        );
        assert_eq!(head("HTTP/1.1 200 OK\r\nContent-Len"), Ok(Parsed::Partial));
        assert_eq!(head(""), Ok(Parsed::Partial));
    }

    #[test]
    fn malformed_heads_are_protocol_errors() {
        for bad in [
            "SSH-2.0-OpenSSH_9.6\r\n\r\n",
            "HTTP/1.1 2000 OK\r\n\r\n",
            "HTTP/1.1 099 Low\r\n\r\n",
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
            "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        ] {
            assert_eq!(head(bad), Err(Outcome::Protocol), "{bad:?}");
        }
        let many: String = (0..=MAX_HEADERS).map(|i| format!("x-{i}: v\r\n")).collect();
        assert_eq!(
            head(&format!("HTTP/1.1 200 OK\r\n{many}\r\n")),
            Err(Outcome::Protocol)
        );
    }
}
