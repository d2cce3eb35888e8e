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
    /// Decoded Huffman names and values.
    name: Vec<u8>,
    value: Vec<u8>,
}

impl Decoder {
    pub(crate) fn new() -> Self {
        Decoder {
            table: Table::with_dynamic_size(4096),
            max_size: 4096,
            name: Vec::new(),
            value: Vec::new(),
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
                let name_raw = match index {
                    0 => {
                        let (s, n) = string(block, &mut self.name)?;
                        block = &block[n..];
                        Some(s)
                    }
                    _ => None,
                };
                let (value_raw, n) = string(block, &mut self.value)?;
                block = &block[n..];
                let name: &[u8] = match (name_raw, index) {
                    (Some(Some(raw)), _) => raw,
                    (Some(None), _) => &self.name,
                    (None, i) => self.table.get(i as u32).ok_or(Malformed)?.0,
                };
                let value: &[u8] = value_raw.unwrap_or(&self.value);
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

/// A string: `Some(raw bytes)` in place, or `None` when it was Huffman-coded and decoded
/// into `huff`; and the octets it took.
fn string<'a>(buf: &'a [u8], huff: &mut Vec<u8>) -> Result<(Option<&'a [u8]>, usize), Malformed> {
    let huffman = buf.first().ok_or(Malformed)? & 0x80 != 0;
    let (len, n) = int(buf, 7)?;
    let raw = buf.get(n..n + len).ok_or(Malformed)?;
    if !huffman {
        return Ok((Some(raw), n + len));
    }
    huff.clear();
    httlib_huffman::decode(raw, huff, DecoderSpeed::FiveBits).map_err(|_| Malformed)?;
    Ok((None, n + len))
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
