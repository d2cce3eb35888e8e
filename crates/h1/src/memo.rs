//! The final head a connection's last answer had, so that an identical head is not parsed
//! again.
//!
//! A server answering a stream of like requests sends heads that differ, if at all, in their
//! `Date` once a second. Parsing one is most of the user-space work of a plain exchange
//! (about 1,300 of some 4,700 instructions for nginx's six headers, by callgrind), while
//! comparing it with the last one costs a `memcmp`. Bytes equal to a head that parsed say
//! the same status, framing and keep-alive, so the memo answers with what that parse found.
//! Not for a caller that must see each header (a journey's header captures): a remembered
//! head hands no header over.

use crate::head::{parse, Head, Parsed};
use loadgen_engine::Outcome;

/// Heads longer than this are not remembered: copying one at each change would cost more
/// than parsing it saves, and usual heads are a few hundred bytes.
pub const MAX_REMEMBERED: usize = 1024;

/// The last final head parsed (its bytes, blank line included) and what it said.
#[derive(Debug, Default)]
pub struct Memo {
    bytes: Vec<u8>,
    /// The head, and whether it answered a `HEAD` request (its framing depends on that).
    last: Option<(Head, bool)>,
}

impl Memo {
    /// [`parse`], answered from the memo when `buf` starts with the remembered head's bytes.
    /// A final head that parses is remembered; anything else leaves the memo as it was.
    #[inline]
    pub fn parse(&mut self, buf: &[u8], head_request: bool) -> Result<Parsed, Outcome> {
        if let Some((head, was_head_request)) = self.last {
            if was_head_request == head_request && buf.starts_with(&self.bytes) {
                return Ok(Parsed::Final(head));
            }
        }
        let parsed = parse(buf, head_request)?;
        if let Parsed::Final(head) = parsed {
            self.bytes.clear();
            self.last = None;
            if head.len <= MAX_REMEMBERED {
                self.bytes.extend_from_slice(&buf[..head.len]);
                self.last = Some((head, head_request));
            }
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::head::Framing;

    const OK: &[u8] =
        b"HTTP/1.1 200 OK\r\nDate: Thu, 03 Dec 2026 01:00:00 GMT\r\nContent-Length: 2\r\n\r\n";

    fn final_head(p: Result<Parsed, Outcome>) -> Head {
        match p {
            Ok(Parsed::Final(h)) => h,
            other => panic!("not a final head: {other:?}"),
        }
    }

    #[test]
    fn a_repeated_head_is_answered_as_parsing_it_would() {
        let mut memo = Memo::default();
        let mut answer = OK.to_vec();
        answer.extend_from_slice(b"okHTTP/1.1");
        let first = final_head(memo.parse(&answer, false));
        let again = final_head(memo.parse(&answer, false));
        assert_eq!(first, again);
        assert_eq!(again, final_head(parse(&answer, false)));
        assert_eq!(again.framing, Framing::Length(2));
        assert_eq!(again.len, OK.len());
    }

    #[test]
    fn a_head_that_differs_anywhere_is_parsed() {
        let mut memo = Memo::default();
        final_head(memo.parse(OK, false));
        // Same length, one byte apart: a different length, hence a different framing.
        let other = String::from_utf8(OK.to_vec())
            .unwrap()
            .replace("Length: 2", "Length: 7");
        let h = final_head(memo.parse(other.as_bytes(), false));
        assert_eq!(h.framing, Framing::Length(7));
        // The memo now holds the new head: the first is parsed again, not taken from it.
        assert_eq!(
            final_head(memo.parse(OK, false)).framing,
            Framing::Length(2)
        );
        // A `Connection: close` head says so even right after a kept-alive one.
        let close = String::from_utf8(OK.to_vec())
            .unwrap()
            .replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n");
        assert!(!final_head(memo.parse(close.as_bytes(), false)).keep_alive);
    }

    #[test]
    fn the_same_bytes_answering_a_head_request_are_parsed_for_it() {
        let mut memo = Memo::default();
        assert_eq!(
            final_head(memo.parse(OK, false)).framing,
            Framing::Length(2)
        );
        assert_eq!(final_head(memo.parse(OK, true)).framing, Framing::Empty);
        assert_eq!(
            final_head(memo.parse(OK, false)).framing,
            Framing::Length(2)
        );
    }

    #[test]
    fn partial_informational_and_bad_heads_are_never_remembered() {
        let mut memo = Memo::default();
        assert_eq!(memo.parse(&OK[..20], false), Ok(Parsed::Partial));
        assert_eq!(
            memo.parse(b"HTTP/1.1 100 Continue\r\n\r\n", false),
            Ok(Parsed::Informational(25))
        );
        assert_eq!(
            memo.parse(b"HTTP/1.1 2x0 OK\r\n\r\n", false),
            Err(Outcome::Protocol)
        );
        assert!(memo.last.is_none() && memo.bytes.is_empty());
        // A partial head that is a prefix of the remembered one is still partial.
        final_head(memo.parse(OK, false));
        assert_eq!(memo.parse(&OK[..OK.len() - 1], false), Ok(Parsed::Partial));
    }

    #[test]
    fn long_heads_are_parsed_every_time() {
        let mut memo = Memo::default();
        let long = format!(
            "HTTP/1.1 200 OK\r\nX-Pad: {}\r\nContent-Length: 0\r\n\r\n",
            "a".repeat(MAX_REMEMBERED)
        );
        final_head(memo.parse(long.as_bytes(), false));
        assert!(memo.last.is_none());
    }
}
