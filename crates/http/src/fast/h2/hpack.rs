//! Response header blocks, decoded: the representations (RFC 7541 6) are read here, the
//! static and dynamic tables are `httlib-hpack`'s and Huffman strings go through
//! `httlib-huffman`. Raw strings are handed over in place; a Huffman string is decoded into
//! a reused buffer. The dynamic table lives as long as the connection.

use httlib_hpack::table::Table;
use httlib_huffman::DecoderSpeed;

/// A header block that does not decode: the connection's `COMPRESSION_ERROR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed;

/// The decoding state of one connection.
pub(crate) struct Decoder {
    table: Table<'static>,
    /// Our `SETTINGS_HEADER_TABLE_SIZE` (the default): the most a size update may ask for.
    max_size: u32,
    memo: Memo,
}

/// How many decoded Huffman strings are remembered.
const MEMO: usize = 16;

/// Huffman strings decoded lately, by their coded bytes. A server sends the same ones answer
/// after answer (its name, a content type, the date for a whole second): each is decoded once
/// instead of bit by bit on every answer.
#[derive(Default)]
struct Memo {
    /// (coded, decoded); at most [`MEMO`].
    entries: Vec<(Vec<u8>, Vec<u8>)>,
    /// The entry a miss replaces next.
    next: usize,
}

impl Memo {
    /// The entry holding `coded` decoded, decoding it on a miss into an entry other than
    /// `keep` (a string of the same field still in use).
    fn decode(&mut self, coded: &[u8], keep: Option<usize>) -> Result<usize, Malformed> {
        if let Some(i) = self.entries.iter().position(|(c, _)| c[..] == *coded) {
            return Ok(i);
        }
        let slot = match self.entries.len() < MEMO {
            true => {
                self.entries.push(Default::default());
                self.entries.len() - 1
            }
            false => {
                let mut slot = self.next;
                if Some(slot) == keep {
                    slot = (slot + 1) % MEMO;
                }
                self.next = (slot + 1) % MEMO;
                slot
            }
        };
        let (c, d) = &mut self.entries[slot];
        c.clear();
        d.clear();
        if httlib_huffman::decode(coded, d, DecoderSpeed::FiveBits).is_err() {
            // Never found again: a coded string is never empty when it failed.
            d.clear();
            return Err(Malformed);
        }
        c.extend_from_slice(coded);
        Ok(slot)
    }
}

/// A string of a field: in place, or decoded in the memo.
#[derive(Clone, Copy)]
enum Str<'a> {
    Raw(&'a [u8]),
    Memo(usize),
}

impl Decoder {
    pub(crate) fn new() -> Self {
        Decoder {
            table: Table::with_dynamic_size(4096),
            max_size: 4096,
            memo: Memo::default(),
        }
    }

    /// Decodes a whole block, handing each field to `field` in order.
    pub(crate) fn decode(
        &mut self,
        mut block: &[u8],
        mut field: impl FnMut(&[u8], &[u8]),
    ) -> Result<(), Malformed> {
        let mut fields_seen = false;
        while let Some(&first) = block.first() {
            if first & 0x80 != 0 {
                let (index, n) = int(block, 7)?;
                block = &block[n..];
                let (name, value) = self.table.get(index as u32).ok_or(Malformed)?;
                field(name, value);
                fields_seen = true;
            } else if first & 0xe0 == 0x20 {
                // A size update comes before any field (RFC 7541 4.2).
                let (size, n) = int(block, 5)?;
                if fields_seen || size > self.max_size as usize {
                    return Err(Malformed);
                }
                block = &block[n..];
                self.table.update_max_dynamic_size(size as u32);
            } else {
                let indexing = first & 0x40 != 0;
                let (index, n) = int(block, if indexing { 6 } else { 4 })?;
                block = &block[n..];
                let name = match index {
                    0 => {
                        let (s, n) = self.string(block, None)?;
                        block = &block[n..];
                        Some(s)
                    }
                    _ => None,
                };
                let keep = match name {
                    Some(Str::Memo(i)) => Some(i),
                    _ => None,
                };
                let (value, n) = self.string(block, keep)?;
                block = &block[n..];
                let memo = &self.memo.entries[..];
                let name: &[u8] = match name {
                    Some(s) => text(memo, s),
                    None => self.table.get(index as u32).ok_or(Malformed)?.0,
                };
                let value = text(memo, value);
                field(name, value);
                fields_seen = true;
                if indexing {
                    let (name, value) = (name.to_vec(), value.to_vec());
                    self.table.insert(name, value);
                }
            }
        }
        Ok(())
    }

    /// A string and the octets it took: raw bytes in place, or a Huffman string decoded
    /// into the memo (not into entry `keep`).
    fn string<'a>(
        &mut self,
        buf: &'a [u8],
        keep: Option<usize>,
    ) -> Result<(Str<'a>, usize), Malformed> {
        let huffman = buf.first().ok_or(Malformed)? & 0x80 != 0;
        let (len, n) = int(buf, 7)?;
        let raw = buf.get(n..n + len).ok_or(Malformed)?;
        match huffman {
            false => Ok((Str::Raw(raw), n + len)),
            true => Ok((Str::Memo(self.memo.decode(raw, keep)?), n + len)),
        }
    }
}

/// The bytes of a string.
fn text<'a>(memo: &'a [(Vec<u8>, Vec<u8>)], s: Str<'a>) -> &'a [u8] {
    match s {
        Str::Raw(raw) => raw,
        Str::Memo(i) => &memo[i].1,
    }
}

/// An HPACK integer with a `prefix`-bit prefix, and the octets it took.
fn int(buf: &[u8], prefix: u8) -> Result<(usize, usize), Malformed> {
    let max = (1usize << prefix) - 1;
    let mut value = (*buf.first().ok_or(Malformed)? as usize) & max;
    if value < max {
        return Ok((value, 1));
    }
    let mut shift = 0;
    for (i, &b) in buf.iter().enumerate().skip(1) {
        // Past 4 continuation octets the value overflows any sane size.
        if shift > 28 {
            return Err(Malformed);
        }
        value += ((b & 0x7f) as usize) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err(Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7541 C.6: responses with Huffman coding, the dynamic table kept between them.
    #[test]
    fn rfc_7541_c6_responses_decode_with_the_table_kept() {
        let hex = |s: &str| {
            let s: String = s.split_whitespace().collect();
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect::<Vec<u8>>()
        };
        let mut d = Decoder::new();
        d.table.update_max_dynamic_size(256);
        let mut seen = Vec::new();
        let first = hex("4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3");
        d.decode(&first, |n, v| seen.push((n.to_vec(), v.to_vec())))
            .unwrap();
        assert_eq!(seen[0], (b":status".to_vec(), b"302".to_vec()));
        assert_eq!(seen[3].1, b"https://www.example.com".to_vec());
        seen.clear();
        let second = hex("4883 640e ffc1 c0bf");
        d.decode(&second, |n, v| seen.push((n.to_vec(), v.to_vec())))
            .unwrap();
        assert_eq!(seen[0], (b":status".to_vec(), b"307".to_vec()));
        assert_eq!(
            seen[1],
            (b"cache-control".to_vec(), b"private".to_vec()),
            "from the dynamic table"
        );
        assert_eq!(seen[3].1, b"https://www.example.com".to_vec());
    }

    #[test]
    fn a_memo_full_of_strings_keeps_decoding_right() {
        // More distinct Huffman strings than the memo holds, each sent twice, with Huffman
        // names and values: every answer decodes to what was sent.
        let mut d = Decoder::new();
        let huff = |text: &str| -> Vec<u8> {
            let mut coded = Vec::new();
            httlib_huffman::encode(text.as_bytes(), &mut coded).unwrap();
            let mut s = Vec::new();
            crate::fast::h2::encode::put_int(&mut s, 7, 0x80, coded.len());
            s.extend_from_slice(&coded);
            s
        };
        for round in 0..2 {
            for i in 0..(MEMO * 2) {
                let (name, value) = (format!("x-name-{i}"), format!("value {i} of {round}"));
                let mut block = vec![0x00];
                block.extend(huff(&name));
                block.extend(huff(&value));
                let mut seen = Vec::new();
                d.decode(&block, |n, v| seen.push((n.to_vec(), v.to_vec())))
                    .unwrap();
                assert_eq!(seen, [(name.into_bytes(), value.into_bytes())]);
            }
        }
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        let mut d = Decoder::new();
        for bad in [
            &[0xffu8][..],
            &[0x40, 0x85],
            &[0xbf],
            &[0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        ] {
            assert_eq!(d.decode(bad, |_, _| {}), Err(Malformed), "{bad:?}");
        }
    }
}
