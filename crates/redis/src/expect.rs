//! Checks on a reply: its text (`reply = "OK"`), nil or not (`nil = false`), an integer range.
//! A reply that fails a check is counted as `check_failed`.

use redis::Value;

/// What a step's reply must be. Every check set must hold; an empty `Expect` accepts any reply
/// that is not an error. In a pipeline every reply is checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expect {
    /// The reply's text: a status (`OK`, `PONG`), a bulk string, or an integer's digits.
    pub reply: Option<Vec<u8>>,
    /// `Some(false)`: the reply must not be nil (a cache hit); `Some(true)`: it must be.
    pub nil: Option<bool>,
    /// The reply is an integer (or a bulk string of one) within `min..=max`.
    pub int: Option<(i64, i64)>,
}

impl Expect {
    /// True when `v` passes every check.
    pub fn accepts(&self, v: &Value) -> bool {
        if let Some(want) = self.nil {
            if is_nil(v) != want {
                return false;
            }
        }
        if let Some(want) = &self.reply {
            if !text_is(v, want) {
                return false;
            }
        }
        if let Some((min, max)) = self.int {
            match integer(v) {
                Some(n) if (min..=max).contains(&n) => {}
                _ => return false,
            }
        }
        true
    }
}

fn is_nil(v: &Value) -> bool {
    matches!(v, Value::Nil)
}

fn text_is(v: &Value, want: &[u8]) -> bool {
    match v {
        Value::Okay => want == b"OK",
        Value::SimpleString(s) => s.as_bytes() == want,
        Value::BulkString(b) => b == want,
        Value::VerbatimString { text, .. } => text.as_bytes() == want,
        Value::Int(n) => std::str::from_utf8(want).ok().and_then(|w| w.parse().ok()) == Some(*n),
        _ => false,
    }
}

fn integer(v: &Value) -> Option<i64> {
    match v {
        Value::Int(n) => Some(*n),
        Value::BulkString(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        Value::SimpleString(s) => s.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_text_nil_and_ranges() {
        let ok = Expect {
            reply: Some(b"OK".to_vec()),
            ..Expect::default()
        };
        assert!(ok.accepts(&Value::Okay));
        assert!(ok.accepts(&Value::BulkString(b"OK".to_vec())));
        assert!(!ok.accepts(&Value::SimpleString("QUEUED".into())));
        let hit = Expect {
            nil: Some(false),
            ..Expect::default()
        };
        assert!(hit.accepts(&Value::BulkString(b"x".to_vec())));
        assert!(!hit.accepts(&Value::Nil));
        let range = Expect {
            int: Some((1, 3)),
            ..Expect::default()
        };
        assert!(range.accepts(&Value::Int(3)));
        assert!(range.accepts(&Value::BulkString(b"2".to_vec())));
        assert!(!range.accepts(&Value::Int(4)));
        assert!(!range.accepts(&Value::Nil));
        let one = Expect {
            reply: Some(b"1".to_vec()),
            ..Expect::default()
        };
        assert!(one.accepts(&Value::Int(1)));
        assert!(Expect::default().accepts(&Value::Nil));
    }
}
