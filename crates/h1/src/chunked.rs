//! A `Transfer-Encoding: chunked` decoder that takes its input in whatever pieces the socket
//! delivers.
//!
//! A byte-at-a-time state machine for the framing (size lines, CRLFs, trailers) and bulk
//! copies for chunk data, so a split anywhere — inside a size, between CR and LF, inside a
//! trailer — needs no buffering. Rules, as hyper applies them: hexadecimal sizes that fit a
//! `u64`; spaces or tabs after the size; chunk extensions (`;name=value`) ignored, but a bare
//! LF inside one is an error and all of them together may not exceed 16 KiB; CRLF after every
//! chunk's data; trailer fields after the last chunk read and ignored, at most 100 of them
//! and 16 KiB. Unlike hyper, a size line needs at least one digit.

use loadgen_engine::Outcome;

/// Chunk extensions, summed over a body, may not exceed this many bytes.
const EXTENSIONS_LIMIT: u32 = 16 << 10;
/// Trailer bytes after the last chunk may not exceed this.
const TRAILER_LIMIT: u32 = 16 << 10;
/// Trailer lines after the last chunk may not exceed this.
const TRAILER_LINES: u32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Hex digits of a chunk size.
    Size,
    /// Whitespace after the size.
    SizeWs,
    /// A chunk extension, up to CR.
    Extension,
    /// LF ending the size line.
    SizeLf,
    /// Chunk data; `size` bytes left.
    Data,
    /// CR after chunk data.
    DataCr,
    /// LF after chunk data.
    DataLf,
    /// After the last chunk: the start of a trailer line, or the final CR.
    LineStart,
    /// Inside a trailer line.
    Trailer,
    /// LF ending a trailer line.
    TrailerLf,
    /// The final LF.
    EndLf,
    /// The body is complete.
    Done,
}

/// Decoding state of one chunked body.
#[derive(Debug)]
pub struct Chunked {
    state: State,
    size: u64,
    digits: u8,
    extensions: u32,
    trailer: u32,
    trailer_lines: u32,
}

impl Default for Chunked {
    fn default() -> Self {
        Chunked::new()
    }
}

impl Chunked {
    /// A decoder at the start of a body.
    pub fn new() -> Self {
        Chunked {
            state: State::Size,
            size: 0,
            digits: 0,
            extensions: 0,
            trailer: 0,
            trailer_lines: 0,
        }
    }

    /// True once the final CRLF has been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes `input`, handing chunk data to `data`. Returns how many bytes were used: all of
    /// `input` unless the body ends inside it. Bad framing is a `Protocol` outcome.
    pub fn feed(&mut self, input: &[u8], mut data: impl FnMut(&[u8])) -> Result<usize, Outcome> {
        let mut i = 0;
        while i < input.len() {
            match self.state {
                State::Done => break,
                State::Data => {
                    let n = (input.len() - i).min(usize::try_from(self.size).unwrap_or(usize::MAX));
                    data(&input[i..i + n]);
                    i += n;
                    self.size -= n as u64;
                    if self.size == 0 {
                        self.state = State::DataCr;
                    }
                    continue;
                }
                _ => {}
            }
            let b = input[i];
            i += 1;
            self.state = self.step(b).ok_or(Outcome::Protocol)?;
        }
        Ok(i)
    }

    /// The next state after framing byte `b`; `None` for bad framing.
    fn step(&mut self, b: u8) -> Option<State> {
        use State::*;
        Some(match (self.state, b) {
            (Size, _) if b.is_ascii_hexdigit() => {
                let d = (b as char).to_digit(16)?;
                self.size = self.size.checked_mul(16)?.checked_add(u64::from(d))?;
                self.digits = 1;
                Size
            }
            (Size, b' ' | b'\t') if self.digits > 0 => SizeWs,
            (SizeWs, b' ' | b'\t') => SizeWs,
            (Size | SizeWs, b';') if self.digits > 0 => Extension,
            (Size | SizeWs, b'\r') if self.digits > 0 => SizeLf,
            (Extension, b'\r') => SizeLf,
            (Extension, b'\n') => return None,
            (Extension, _) => {
                self.extensions += 1;
                if self.extensions > EXTENSIONS_LIMIT {
                    return None;
                }
                Extension
            }
            (SizeLf, b'\n') if self.size == 0 => LineStart,
            (SizeLf, b'\n') => Data,
            (DataCr, b'\r') => DataLf,
            (DataLf, b'\n') => {
                self.digits = 0;
                Size
            }
            (LineStart, b'\r') => EndLf,
            (LineStart | Trailer, _) => {
                self.trailer += 1;
                if self.trailer > TRAILER_LIMIT {
                    return None;
                }
                if b == b'\r' {
                    TrailerLf
                } else {
                    Trailer
                }
            }
            (TrailerLf, b'\n') => {
                self.trailer_lines += 1;
                if self.trailer_lines > TRAILER_LINES {
                    return None;
                }
                LineStart
            }
            (EndLf, b'\n') => Done,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `wire` fed in pieces of `step` bytes; the body and the bytes left over.
    fn decode(wire: &[u8], step: usize) -> Result<(Vec<u8>, usize), Outcome> {
        let mut d = Chunked::new();
        let mut body = Vec::new();
        let mut used = 0;
        for piece in wire.chunks(step) {
            used += d.feed(piece, |b| body.extend_from_slice(b))?;
            if d.is_done() {
                return Ok((body, wire.len() - used));
            }
        }
        Err(Outcome::Reset)
    }

    fn every_split(wire: &[u8]) -> Result<(Vec<u8>, usize), Outcome> {
        let first = decode(wire, wire.len().max(1));
        for step in 1..wire.len() {
            assert_eq!(decode(wire, step), first, "split every {step} bytes");
        }
        first
    }

    #[test]
    fn decodes_chunks_extensions_and_trailers_split_anywhere() {
        let wire = b"5\r\nhello\r\n1;a=b;c=\"d\"\r\n \r\nA \t;x\r\n0123456789\r\n0\r\n\r\n";
        assert_eq!(every_split(wire), Ok((b"hello 0123456789".to_vec(), 0)));
        let wire = b"3\r\nabc\r\n0;last\r\nExpires: never\r\nX-Sum: 1\r\n\r\nHTTP/1.1";
        assert_eq!(every_split(wire), Ok((b"abc".to_vec(), 8)));
        assert_eq!(every_split(b"0\r\n\r\n"), Ok((vec![], 0)));
        assert_eq!(
            every_split(
                b"fF\r\n"
                    .iter()
                    .chain(&[b'x'; 255])
                    .chain(b"\r\n0\r\n\r\n")
                    .copied()
                    .collect::<Vec<_>>()
                    .as_slice()
            ),
            Ok((vec![b'x'; 255], 0))
        );
    }

    #[test]
    fn rejects_bad_framing() {
        for bad in [
            &b"\r\n"[..],
            b"g\r\n",
            b"5\nhello\r\n",
            b"5\r\nhelloX\r\n",
            b"5\r\nhello\rX",
            b"5;ext\nhello",
            b" 5\r\n",
            b"5 5\r\n",
            b"10000000000000000\r\n",
            b"0\r\n\rX",
            b"0\r\nX-A: 1\rX",
        ] {
            assert_eq!(every_split(bad), Err(Outcome::Protocol), "{bad:?}");
        }
        let long_ext: Vec<u8> = [&b"1;"[..], &vec![b'e'; EXTENSIONS_LIMIT as usize + 1]].concat();
        assert_eq!(decode(&long_ext, 4096), Err(Outcome::Protocol));
        let many: Vec<u8> = [
            &b"0\r\n"[..],
            &b"a: b\r\n".repeat(TRAILER_LINES as usize + 1),
        ]
        .concat();
        assert_eq!(decode(&many, 4096), Err(Outcome::Protocol));
    }

    #[test]
    fn an_unfinished_body_asks_for_more() {
        assert_eq!(every_split(b"5\r\nhel"), Err(Outcome::Reset));
        assert_eq!(every_split(b"0\r\n\r"), Err(Outcome::Reset));
    }
}
