//! One value of a JSON answer by a path (`$.id`, `$.data.items[0].id`), found in one pass
//! over the bytes without building a document: what a journey's JSON capture reads.
//!
//! The answer a capture sees must be the one `serde_json` would give for the same body, so
//! the scan validates the whole text as `serde_json::from_slice::<Value>` does and a text it
//! would refuse finds nothing: UTF-8, no control character in a string, the escapes it knows
//! (a lone surrogate is an error), numbers in JSON's grammar and within a double's range,
//! nesting under serde's limit of 128, nothing after the value but whitespace. An object's
//! duplicate key keeps its **last** value, as serde's map does.
//!
//! What is found is handed back as text: a string's raw contents (decoded with
//! [`unescape_into`] only when it holds an escape), a number's or literal's JSON text, an
//! object's or array's JSON text. No allocation.

/// One step of a path: an object's key or an array's index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// `.key`: the member of an object.
    Key(String),
    /// `[n]`: the element of an array.
    Index(usize),
}

/// The value at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found<'a> {
    /// A string: the bytes between its quotes; `escaped` when they hold a `\` escape.
    Str { raw: &'a [u8], escaped: bool },
    /// A number: its text; `plain` when it is an integer of at most 18 digits (not `-0`),
    /// which any JSON library prints back unchanged.
    Number { raw: &'a [u8], plain: bool },
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An object or array: its text, as sent.
    Composite(&'a [u8]),
}

/// The text is not JSON that `serde_json` would accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid;

/// Nesting deeper than this is refused (serde_json's recursion limit: 128 levels fail).
const MAX_DEPTH: usize = 127;

/// The value at `path` in `doc`: `Ok(None)` when the document is valid but has no such value,
/// `Err(Invalid)` when it is not JSON.
pub fn find<'a>(doc: &'a [u8], path: &[Segment]) -> Result<Option<Found<'a>>, Invalid> {
    // Outside strings JSON is ASCII, so this is the UTF-8 check of every string at once.
    std::str::from_utf8(doc).map_err(|_| Invalid)?;
    let mut s = Scan {
        b: doc,
        i: 0,
        path,
        found: None,
    };
    s.ws();
    s.value(0, Some(0))?;
    s.ws();
    if s.i != doc.len() {
        return Err(Invalid);
    }
    Ok(s.found)
}

struct Scan<'a, 'p> {
    b: &'a [u8],
    i: usize,
    path: &'p [Segment],
    found: Option<Found<'a>>,
}

impl<'a> Scan<'a, '_> {
    #[inline]
    fn peek(&self) -> Result<u8, Invalid> {
        self.b.get(self.i).copied().ok_or(Invalid)
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    /// The value at the cursor. `on`: the length of the path prefix it stands at, when every
    /// step above it followed the path; at the full length it is the value sought.
    fn value(&mut self, depth: usize, on: Option<usize>) -> Result<(), Invalid> {
        let start = self.i;
        let target = on == Some(self.path.len());
        let next = if target { None } else { on };
        let found = match self.peek()? {
            b'{' => {
                self.object(depth + 1, next)?;
                Found::Composite(&self.b[start..self.i])
            }
            b'[' => {
                self.array(depth + 1, next)?;
                Found::Composite(&self.b[start..self.i])
            }
            b'"' => {
                let escaped = self.string()?;
                Found::Str {
                    raw: &self.b[start + 1..self.i - 1],
                    escaped,
                }
            }
            b't' => self.literal(b"true", Found::Bool(true))?,
            b'f' => self.literal(b"false", Found::Bool(false))?,
            b'n' => self.literal(b"null", Found::Null)?,
            _ => {
                let plain = self.number()?;
                Found::Number {
                    raw: &self.b[start..self.i],
                    plain,
                }
            }
        };
        if target {
            self.found = Some(found);
        }
        Ok(())
    }

    fn literal(&mut self, word: &[u8], found: Found<'a>) -> Result<Found<'a>, Invalid> {
        if !self.b[self.i..].starts_with(word) {
            return Err(Invalid);
        }
        self.i += word.len();
        Ok(found)
    }

    fn object(&mut self, depth: usize, on: Option<usize>) -> Result<(), Invalid> {
        if depth > MAX_DEPTH {
            return Err(Invalid);
        }
        self.i += 1;
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Ok(());
        }
        let want = match on.map(|k| (k, &self.path[k])) {
            Some((k, Segment::Key(key))) => Some((k, key.as_bytes())),
            _ => None,
        };
        loop {
            if self.peek()? != b'"' {
                return Err(Invalid);
            }
            let start = self.i + 1;
            let escaped = self.string()?;
            let key = &self.b[start..self.i - 1];
            self.ws();
            if self.peek()? != b':' {
                return Err(Invalid);
            }
            self.i += 1;
            self.ws();
            let member = match want {
                Some((k, want)) if key_is(key, escaped, want) => {
                    // A later duplicate replaces the earlier value, and what was found in it.
                    self.found = None;
                    Some(k + 1)
                }
                _ => None,
            };
            self.value(depth, member)?;
            self.ws();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.ws();
                }
                b'}' => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(Invalid),
            }
        }
    }

    fn array(&mut self, depth: usize, on: Option<usize>) -> Result<(), Invalid> {
        if depth > MAX_DEPTH {
            return Err(Invalid);
        }
        self.i += 1;
        self.ws();
        if self.peek()? == b']' {
            self.i += 1;
            return Ok(());
        }
        let want = match on.map(|k| (k, &self.path[k])) {
            Some((k, Segment::Index(n))) => Some((k, *n)),
            _ => None,
        };
        let mut index = 0;
        loop {
            let element = match want {
                Some((k, n)) if n == index => Some(k + 1),
                _ => None,
            };
            self.value(depth, element)?;
            index += 1;
            self.ws();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.ws();
                }
                b']' => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(Invalid),
            }
        }
    }

    /// Skips the string at the cursor (its opening quote), checking its escapes; true when
    /// it has one.
    fn string(&mut self) -> Result<bool, Invalid> {
        self.i += 1;
        let mut escaped = false;
        loop {
            let rest = &self.b[self.i..];
            let run = rest
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .ok_or(Invalid)?;
            self.i += run;
            match rest[run] {
                b'"' => {
                    self.i += 1;
                    return Ok(escaped);
                }
                b'\\' => {
                    escaped = true;
                    self.i += 1 + escape_len(&self.b[self.i + 1..]).ok_or(Invalid)?;
                }
                _ => return Err(Invalid),
            }
        }
    }

    /// Skips a number, checking JSON's grammar and that it is a finite double; true when it
    /// is a plain integer (see [`Found::Number`]).
    fn number(&mut self) -> Result<bool, Invalid> {
        let start = self.i;
        let digits = |s: &mut Self| {
            let from = s.i;
            while let Some(b'0'..=b'9') = s.b.get(s.i) {
                s.i += 1;
            }
            s.i - from
        };
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let int_start = self.i;
        let int = digits(self);
        if int == 0 || (int > 1 && self.b[int_start] == b'0') {
            return Err(Invalid);
        }
        let mut plain = true;
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            plain = false;
            if digits(self) == 0 {
                return Err(Invalid);
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            plain = false;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(Invalid);
            }
        }
        let text = &self.b[start..self.i];
        let plain = plain && int <= 18 && text != b"-0";
        if !plain {
            // serde_json refuses a number past a double's range ("number out of range").
            let f: f64 = std::str::from_utf8(text)
                .ok()
                .and_then(|t| t.parse().ok())
                .ok_or(Invalid)?;
            if !f.is_finite() {
                return Err(Invalid);
            }
        }
        Ok(plain)
    }
}

/// The length of an escape after its `\`, when it is one JSON knows: `\uD83D\uDE00` pairs a
/// leading with a trailing surrogate; a lone surrogate is refused, as serde_json does.
fn escape_len(after: &[u8]) -> Option<usize> {
    match *after.first()? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(1),
        b'u' => {
            let u = hex4(after.get(1..5)?)?;
            match u {
                0xD800..=0xDBFF => {
                    if after.get(5..7) != Some(&b"\\u"[..]) {
                        return None;
                    }
                    let v = hex4(after.get(7..11)?)?;
                    (0xDC00..=0xDFFF).contains(&v).then_some(11)
                }
                0xDC00..=0xDFFF => None,
                _ => Some(5),
            }
        }
        _ => None,
    }
}

fn hex4(s: &[u8]) -> Option<u32> {
    s.iter().try_fold(0u32, |n, &c| {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return None,
        };
        Some(n * 16 + u32::from(d))
    })
}

/// Calls `emit` with the decoded bytes of a checked string's raw contents, run by run;
/// stops early when `emit` returns false (and returns false).
fn decode(raw: &[u8], mut emit: impl FnMut(&[u8]) -> bool) -> bool {
    let mut i = 0;
    while i < raw.len() {
        let run = raw[i..]
            .iter()
            .position(|&c| c == b'\\')
            .unwrap_or(raw.len() - i);
        if run > 0 && !emit(&raw[i..i + run]) {
            return false;
        }
        i += run;
        if i >= raw.len() {
            break;
        }
        let after = &raw[i + 1..];
        let Some(len) = escape_len(after) else {
            return false;
        };
        let mut utf8 = [0u8; 4];
        let bytes: &[u8] = match after[0] {
            b'b' => b"\x08",
            b'f' => b"\x0c",
            b'n' => b"\n",
            b'r' => b"\r",
            b't' => b"\t",
            b'u' => {
                let hi = after.get(1..5).and_then(hex4).unwrap_or(0);
                let code = match len {
                    11 => {
                        let lo = after.get(7..11).and_then(hex4).unwrap_or(0);
                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                    }
                    _ => hi,
                };
                let ch = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
                ch.encode_utf8(&mut utf8).as_bytes()
            }
            _ => &after[..1],
        };
        if !emit(bytes) {
            return false;
        }
        i += 1 + len;
    }
    true
}

/// Appends a found string's decoded text (its raw contents, from [`Found::Str`]) to `out`.
pub fn unescape_into(raw: &[u8], out: &mut Vec<u8>) {
    decode(raw, |b| {
        out.extend_from_slice(b);
        true
    });
}

/// True when a key's raw contents decode to `want`.
fn key_is(raw: &[u8], escaped: bool, want: &[u8]) -> bool {
    if !escaped {
        return raw == want;
    }
    let mut rest = want;
    decode(raw, |b| match rest.strip_prefix(b) {
        Some(r) => {
            rest = r;
            true
        }
        None => false,
    }) && rest.is_empty()
}

#[cfg(test)]
mod tests;
