//! Reading one field of a JSON message (the id of a reply, the timestamp of a push) without
//! building a document: a small scanner skips everything but the path it follows, so a
//! message costs no allocation unless the value is a string with escapes.

use std::borrow::Cow;

/// A scalar found at a path: its raw JSON text, or a string's contents.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Field<'a> {
    /// A string's contents (unescaped).
    Str(Cow<'a, str>),
    /// A number, `true`, `false`, `null`, or an object/array as raw JSON text.
    Raw(&'a str),
}

impl Field<'_> {
    /// The value as a number (strings holding a number count too).
    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Field::Str(s) => s.trim().parse().ok(),
            Field::Raw(r) => r.parse().ok(),
        }
    }

    /// The value as an id: a string's contents, anything else its JSON text. Ids from a sent
    /// message and from its reply compare equal whether written `7` or `"7"`.
    pub(crate) fn as_key(&self) -> &str {
        match self {
            Field::Str(s) => s,
            Field::Raw(r) => r,
        }
    }
}

/// The value at `path` in `msg`, if `msg` is a JSON object that has it.
pub(crate) fn field<'a>(msg: &'a [u8], path: &[String]) -> Option<Field<'a>> {
    let text = std::str::from_utf8(msg).ok()?;
    let mut s = Scanner {
        b: text.as_bytes(),
        i: 0,
        text,
    };
    let (last, parents) = path.split_last()?;
    for key in parents {
        s.enter(key)?;
    }
    s.enter(last)?;
    s.ws();
    match s.peek()? {
        b'"' => s.string().map(Field::Str),
        _ => {
            let start = s.i;
            s.skip_value()?;
            Some(Field::Raw(text[start..s.i].trim_end()))
        }
    }
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    text: &'a str,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// Moves to the value of `key` in the object (or the element `key` of the array) here.
    fn enter(&mut self, key: &str) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'{' => {
                self.i += 1;
                loop {
                    self.ws();
                    if self.peek()? == b'}' {
                        return None;
                    }
                    let k = self.string()?;
                    self.eat(b':')?;
                    if k == key {
                        return Some(());
                    }
                    self.skip_value()?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        _ => return None,
                    }
                }
            }
            b'[' => {
                let want: usize = key.parse().ok()?;
                self.i += 1;
                for _ in 0..want {
                    self.ws();
                    if self.peek()? == b']' {
                        return None;
                    }
                    self.skip_value()?;
                    self.eat(b',')?;
                }
                self.ws();
                (self.peek()? != b']').then_some(())
            }
            _ => None,
        }
    }

    /// A string at the cursor: borrowed when it has no escapes.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.ws();
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.i;
        self.i += 1;
        let mut escaped = false;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    self.i += 2;
                }
                _ => self.i += 1,
            }
        }
        self.i += 1;
        let raw = &self.text[start..self.i];
        if escaped {
            serde_json::from_str::<String>(raw).ok().map(Cow::Owned)
        } else {
            Some(Cow::Borrowed(&raw[1..raw.len() - 1]))
        }
    }

    /// Skips one value (nested objects and arrays included).
    fn skip_value(&mut self) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
            }
            _ => {
                while !matches!(self.peek(), None | Some(b',' | b'}' | b']')) {
                    self.i += 1;
                }
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<String> {
        s.split('.').map(str::to_string).collect()
    }

    fn key(msg: &str, path: &str) -> Option<String> {
        field(msg.as_bytes(), &p(path)).map(|f| f.as_key().to_string())
    }

    #[test]
    fn follows_paths_through_objects_and_arrays() {
        let m = r#" { "a" : {"x":[1,"]}",{"y":"}"}]}, "id" : "7", "data":{"ts":12.5,"xs":[1,{"k":2}]},"n":-3e2 } "#;
        assert_eq!(key(m, "id").as_deref(), Some("7"));
        assert_eq!(
            field(m.as_bytes(), &p("data.ts")).unwrap().as_f64(),
            Some(12.5)
        );
        assert_eq!(key(m, "data.xs.1.k").as_deref(), Some("2"));
        assert_eq!(key(m, "data.xs.1").as_deref(), Some(r#"{"k":2}"#));
        assert_eq!(key(m, "a.x.2.y").as_deref(), Some("}"));
        assert_eq!(field(m.as_bytes(), &p("n")).unwrap().as_f64(), Some(-300.0));
        assert_eq!(key(m, "data.xs.5"), None);
        assert_eq!(key(m, "nope"), None);
        assert_eq!(key(m, "id.deeper"), None);
        assert_eq!(key("not json", "id"), None);
        assert_eq!(key(r#"{"id":"#, "id"), None);
        assert_eq!(key(r#"{"id":"unterminated"#, "id"), None);
    }

    #[test]
    fn strings_with_escapes_are_unescaped_and_numbers_match_their_text() {
        assert_eq!(
            key(r#"{"k\"":1,"id":"a\"b"}"#, "id").as_deref(),
            Some("a\"b")
        );
        assert_eq!(key(r#"{"id":42}"#, "id").as_deref(), Some("42"));
        assert_eq!(key(r#"{"id":"42"}"#, "id").as_deref(), Some("42"));
        assert_eq!(key(r#"{"id":true}"#, "id").as_deref(), Some("true"));
    }

    #[test]
    fn agrees_with_serde_json_on_generated_messages() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(5);
        for n in 0..500u64 {
            let v = serde_json::json!({
                "pad": {"s": "x\"}]{[".repeat(rng.random_range(0..3)), "a": [n, {"b": null}]},
                "id": format!("{n}-{}", rng.random::<u32>()),
                "ts": rng.random::<f64>() * 1e12,
            });
            let text = v.to_string();
            assert_eq!(key(&text, "id").as_deref(), v["id"].as_str());
            let ts = field(text.as_bytes(), &p("ts")).unwrap().as_f64();
            assert_eq!(ts, v["ts"].as_f64());
        }
    }
}
