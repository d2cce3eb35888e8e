//! Protocol codes kept beside an outcome class: a database's SQLSTATE (`23505`), a Redis error
//! prefix (`WRONGTYPE`). HTTP statuses keep their own `u16` tally; these are the codes of the
//! protocols whose answers are words.
//!
//! A [`Code`] packs up to [`Code::MAX_LEN`] characters of `[0-9A-Z]` into one `u64`, so counting
//! one needs no allocation and no string on the hot path; it prints back to the same text.

use std::fmt;

/// A short protocol code, packed into a `u64` (base 37: 0 ends the text, 1–10 are digits,
/// 11–36 are letters). Ordered like its packed value, which is stable across runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(u64);

const BASE: u64 = 37;

impl Code {
    /// The longest code that packs (37^12 < 2^63).
    pub const MAX_LEN: usize = 12;

    /// Where codes go once a step has counted [`StepMetrics::MAX_CODES`] distinct ones, so a
    /// server answering with endless invented prefixes cannot grow memory.
    ///
    /// [`StepMetrics::MAX_CODES`]: crate::StepMetrics::MAX_CODES
    pub const OTHER: Code = match Code::parse_bytes(b"OTHER") {
        Some(c) => c,
        None => panic!("OTHER packs"),
    };

    /// Packs `text` (digits and ASCII letters, letters upper-cased, 1 to 12 of them); `None`
    /// for anything else.
    pub fn parse(text: &str) -> Option<Code> {
        Self::parse_bytes(text.as_bytes())
    }

    /// [`Code::parse`] on bytes, usable in constants.
    pub const fn parse_bytes(text: &[u8]) -> Option<Code> {
        if text.is_empty() || text.len() > Self::MAX_LEN {
            return None;
        }
        let mut packed = 0u64;
        let mut i = 0;
        // Left-aligned, so a shorter code is padded with the terminator 0 and orders first.
        while i < Self::MAX_LEN {
            let digit = if i < text.len() {
                match text[i] {
                    b @ b'0'..=b'9' => (b - b'0') as u64 + 1,
                    b @ b'A'..=b'Z' => (b - b'A') as u64 + 11,
                    b @ b'a'..=b'z' => (b - b'a') as u64 + 11,
                    _ => return None,
                }
            } else {
                0
            };
            packed = packed * BASE + digit;
            i += 1;
        }
        Some(Code(packed))
    }

    /// The packed value (for lossless files).
    pub fn packed(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut digits = [0u8; Code::MAX_LEN];
        let mut v = self.0;
        for d in digits.iter_mut().rev() {
            *d = (v % BASE) as u8;
            v /= BASE;
        }
        for d in digits.into_iter().take_while(|d| *d != 0) {
            let c = if d <= 10 {
                (b'0' + d - 1) as char
            } else {
                (b'A' + d - 11) as char
            };
            fmt::Write::write_char(f, c)?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Code {
    type Err = InvalidCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Code::parse(s).ok_or(InvalidCode)
    }
}

/// A text that is not 1 to 12 digits or ASCII letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidCode;

impl fmt::Display for InvalidCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a code is 1 to 12 digits or ASCII letters")
    }
}

impl std::error::Error for InvalidCode {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_print_back_upper_cased() {
        for (text, shown) in [
            ("23505", "23505"),
            ("40P01", "40P01"),
            ("WRONGTYPE", "WRONGTYPE"),
            ("noauth", "NOAUTH"),
            ("CLUSTERDOWN1", "CLUSTERDOWN1"),
        ] {
            assert_eq!(Code::parse(text).map(|c| c.to_string()), Some(shown.into()));
        }
        assert_eq!(Code::OTHER.to_string(), "OTHER");
    }

    #[test]
    fn what_does_not_pack_is_refused() {
        for bad in ["", "WAYTOOLONGPREFIX", "ERR x", "é", "-ERR"] {
            assert_eq!(Code::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn order_is_the_text_order() {
        let mut codes: Vec<Code> = ["OOM", "23505", "BUSY", "2", "BUSYKEY"]
            .iter()
            .map(|t| Code::parse(t).expect("packs"))
            .collect();
        codes.sort();
        let texts: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
        assert_eq!(texts, ["2", "23505", "BUSY", "BUSYKEY", "OOM"]);
    }
}
