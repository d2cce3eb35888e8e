//! HPACK (RFC 7541) both ways. Response header blocks are decoded by `Decoder`: the
//! representations (RFC 7541 6) are read here, the static table is `httlib-hpack`'s and
//! Huffman strings go through `httlib-huffman`. Raw strings are handed over in place; a
//! Huffman string is decoded once into a small memo of recent ones. The dynamic table
//! lives as long as the connection and reuses the buffers of the entries it evicts, so a
//! server that indexes a few fields in every answer (nginx does) costs no allocation per
//! answer.
//!
//! Request blocks are written by the caller (`loadgen-http` pre-encodes each step's) with
//! the primitives at the end of this module: integers, raw strings, fields and field names
//! by their static index, and `content-length`. Every field they write is a literal without indexing
//! (or a static-table index), so a request block never depends on the connection's dynamic
//! table and the peer's `SETTINGS_HEADER_TABLE_SIZE` never matters.

use httlib_hpack::table::Table;
use httlib_huffman::DecoderSpeed;
use std::collections::VecDeque;

/// A header block that does not decode: the connection's `COMPRESSION_ERROR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed;

/// The dynamic table (RFC 7541 2.3.2): newest entry first, each entry's name and value in
/// one buffer; evicted buffers are kept for the next entries.
#[derive(Default)]
struct Dynamic {
    /// (name and value, length of the name).
    entries: VecDeque<(Vec<u8>, usize)>,
    /// The table's size by RFC 7541 4.1 (each entry: its bytes + 32).
    size: usize,
    max_size: usize,
    spare: Vec<Vec<u8>>,
}

impl Dynamic {
    fn new(max_size: usize) -> Self {
        Dynamic {
            max_size,
            ..Dynamic::default()
        }
    }

    /// Entry `i` (0: the newest) as (name, value).
    fn get(&self, i: usize) -> Option<(&[u8], &[u8])> {
        self.entries.get(i).map(|(b, n)| b.split_at(*n))
    }

    fn insert(&mut self, name: &[u8], value: &[u8]) {
        let size = name.len() + value.len() + 32;
        self.evict_to(self.max_size.saturating_sub(size));
        if size > self.max_size {
            // Larger than the table: it empties the table and is not added (RFC 7541 4.4).
            return;
        }
        // New buffers are rounded up, so a recycled one mostly fits the next entry as is.
        let need = name.len() + value.len();
        let mut buf = self
            .spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(need.next_power_of_two().max(64)));
        buf.clear();
        buf.reserve(need);
        buf.extend_from_slice(name);
        buf.extend_from_slice(value);
        self.entries.push_front((buf, name.len()));
        self.size += size;
    }

    fn set_max_size(&mut self, max_size: usize) {
        self.max_size = max_size;
        self.evict_to(max_size);
    }

    fn evict_to(&mut self, limit: usize) {
        while self.size > limit {
            let Some((buf, _)) = self.entries.pop_back() else {
                break;
            };
            self.size -= buf.len() + 32;
            self.spare.push(buf);
        }
    }
}

/// The decoding state of one connection.
pub(crate) struct Decoder {
    /// The static table (entries 1 to 61); its dynamic part is never used.
    statics: Table<'static>,
    table: Dynamic,
    /// Our `SETTINGS_HEADER_TABLE_SIZE` (the default): the most a size update may ask for.
    max_size: u32,
    memo: Memo,
    /// A dynamic entry's name, copied out while the table takes a new entry.
    scratch: Vec<u8>,
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
            statics: Table::with_dynamic_size(0),
            table: Dynamic::new(4096),
            max_size: 4096,
            memo: Memo::default(),
            scratch: Vec::new(),
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
                let (name, value) = self.entry(index)?;
                field(name, value);
                fields_seen = true;
            } else if first & 0xe0 == 0x20 {
                // A size update comes before any field (RFC 7541 4.2).
                let (size, n) = int(block, 5)?;
                if fields_seen || size > self.max_size as usize {
                    return Err(Malformed);
                }
                block = &block[n..];
                self.table.set_max_size(size);
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
                    None if !name_index_is_dynamic(index) => {
                        self.statics.get(index as u32).ok_or(Malformed)?.0
                    }
                    None => {
                        // Copied out: taking the new entry may evict the one it names.
                        let name = self.table.get(index - STATIC_LEN - 1).ok_or(Malformed)?.0;
                        self.scratch.clear();
                        self.scratch.extend_from_slice(name);
                        &self.scratch
                    }
                };
                let value = text(memo, value);
                field(name, value);
                fields_seen = true;
                if indexing {
                    self.table.insert(name, value);
                }
            }
        }
        Ok(())
    }

    /// Entry `index` of the static and dynamic tables.
    fn entry(&self, index: usize) -> Result<(&[u8], &[u8]), Malformed> {
        entry(&self.statics, &self.table, index)
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

/// The static table's length.
const STATIC_LEN: usize = 61;

fn name_index_is_dynamic(index: usize) -> bool {
    index > STATIC_LEN
}

/// Entry `index` (1-based) of the static table, then the dynamic one.
fn entry<'a>(
    statics: &'a Table<'static>,
    table: &'a Dynamic,
    index: usize,
) -> Result<(&'a [u8], &'a [u8]), Malformed> {
    match index {
        0 => Err(Malformed),
        1..=STATIC_LEN => statics.get(index as u32).ok_or(Malformed),
        _ => table.get(index - STATIC_LEN - 1).ok_or(Malformed),
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

/// Appends an HPACK integer (RFC 7541 5.1) with `prefix` bits, `flags` in the first octet.
pub fn put_int(buf: &mut Vec<u8>, prefix: u8, flags: u8, mut value: usize) {
    let max = (1usize << prefix) - 1;
    if value < max {
        buf.push(flags | value as u8);
        return;
    }
    buf.push(flags | max as u8);
    value -= max;
    while value >= 128 {
        buf.push((value % 128) as u8 | 0x80);
        value /= 128;
    }
    buf.push(value as u8);
}

/// Appends a raw HPACK string: its length, then its bytes.
pub fn put_str(buf: &mut Vec<u8>, s: &[u8]) {
    put_int(buf, 7, 0, s.len());
    buf.extend_from_slice(s);
}

/// Appends the start of a literal field without indexing: the name by its static-table index
/// when it has one, else as a string. Its value goes next ([`put_str`]).
pub fn put_name(out: &mut Vec<u8>, name: &[u8]) {
    match Table::default().find(name, b"") {
        Some((index, _)) if index <= STATIC_LEN => put_int(out, 4, 0, index),
        _ => {
            out.push(0);
            put_str(out, name);
        }
    }
}

/// Appends a field: its static-table index when the table holds both its name and its value
/// (`:method: GET` is 2, `:path: /` is 4), else a literal without indexing ([`put_name`],
/// then the value).
pub fn put_field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    match Table::default().find(name, value) {
        Some((index, true)) if index <= STATIC_LEN => put_int(out, 7, 0x80, index),
        _ => {
            put_name(out, name);
            put_str(out, value);
        }
    }
}

/// Appends a `content-length` field (static name index 28), a literal without indexing.
pub fn put_content_length(out: &mut Vec<u8>, mut len: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (len % 10) as u8;
        len /= 10;
        if len == 0 {
            break;
        }
    }
    put_int(out, 4, 0, 28);
    put_str(out, &digits[at..]);
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
        d.table.set_max_size(256);
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
        // C.6.3: evictions, and a name taken from the dynamic table.
        seen.clear();
        let third = hex("88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07");
        d.decode(&third, |n, v| seen.push((n.to_vec(), v.to_vec())))
            .unwrap();
        assert_eq!(seen[0], (b":status".to_vec(), b"200".to_vec()));
        assert_eq!(seen[1], (b"cache-control".to_vec(), b"private".to_vec()));
        assert_eq!(seen[4].1, b"gzip".to_vec());
        assert_eq!(
            seen[5],
            (
                b"set-cookie".to_vec(),
                b"foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1".to_vec()
            )
        );
        assert_eq!(d.table.size, 215, "RFC 7541 C.6.3's table size");
        assert_eq!(d.table.entries.len(), 3);
    }

    #[test]
    fn a_new_entry_may_evict_the_entry_that_names_it() {
        let mut d = Decoder::new();
        d.table.set_max_size(70);
        let mut seen = Vec::new();
        d.decode(b"\x40\x03x-a\x011", |n, v| {
            seen.push((n.to_vec(), v.to_vec()))
        })
        .unwrap();
        // Name from entry 62 (the one above), with indexing: adding it evicts entry 62.
        d.decode(b"\x7e\x0222", |n, v| seen.push((n.to_vec(), v.to_vec())))
            .unwrap();
        d.decode(b"\xbe", |n, v| seen.push((n.to_vec(), v.to_vec())))
            .unwrap();
        let want = |v: &[u8]| (b"x-a".to_vec(), v.to_vec());
        assert_eq!(seen, [want(b"1"), want(b"22"), want(b"22")]);
        assert_eq!(d.table.entries.len(), 1);
        assert_eq!(d.decode(b"\xbf", |_, _| {}), Err(Malformed), "evicted");
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
            put_int(&mut s, 7, 0x80, coded.len());
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

    #[test]
    fn integers_follow_rfc_7541_examples() {
        let mut buf = Vec::new();
        put_int(&mut buf, 5, 0, 10);
        assert_eq!(buf, [10]);
        buf.clear();
        put_int(&mut buf, 5, 0, 1337);
        assert_eq!(buf, [31, 154, 10]);
        buf.clear();
        put_int(&mut buf, 4, 0, 28);
        assert_eq!(buf, [0x0f, 0x0d]);
    }

    #[test]
    fn written_fields_decode_to_what_was_written() {
        let mut block = Vec::new();
        for (name, value) in [(&b"user-agent"[..], &b"loadgen"[..]), (b"x-custom", b"1")] {
            put_name(&mut block, name);
            put_str(&mut block, value);
        }
        put_content_length(&mut block, 1234567);
        put_content_length(&mut block, 0);
        put_field(&mut block, b":method", b"GET");
        put_field(&mut block, b":method", b"PATCH");
        put_field(&mut block, b":authority", b"example.com");
        let mut seen = Vec::new();
        Decoder::new()
            .decode(&block, |n, v| seen.push((n.to_vec(), v.to_vec())))
            .unwrap();
        let want: Vec<(Vec<u8>, Vec<u8>)> = [
            ("user-agent", "loadgen"),
            ("x-custom", "1"),
            ("content-length", "1234567"),
            ("content-length", "0"),
            (":method", "GET"),
            (":method", "PATCH"),
            (":authority", "example.com"),
        ]
        .iter()
        .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect();
        assert_eq!(seen, want);
        assert_eq!(block[0], 0x0f, "user-agent by its static index (58)");
        let get = block.iter().position(|&b| b == 0x82);
        assert!(get.is_some(), ":method: GET as static entry 2");
    }
}
