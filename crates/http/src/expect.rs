//! What a step expects of its response, and how an answer is judged against it.
//!
//! Order of judgement: a status in `expected_failure_status` is an
//! [`ExpectedFailure`](Outcome::ExpectedFailure) and ends there. Otherwise the status must be
//! in `status` (or any 2xx when `status` is empty), else the step is
//! [`Http4xx`](Outcome::Http4xx) / [`Http5xx`](Outcome::Http5xx) /
//! [`HttpOther`](Outcome::HttpOther) by class. Then the body checks run; any failing one
//! makes the step [`CheckFailed`](Outcome::CheckFailed).

use loadgen_engine::Outcome;
use serde_json::Value;

/// Checks on one step's response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expect {
    /// Statuses that count as success; empty means any 2xx.
    pub status: Vec<u16>,
    /// Statuses that mean the target correctly rejected a request built to fail.
    pub expected_failure_status: Vec<u16>,
    /// The body must contain these bytes.
    pub body_contains: Option<String>,
    /// JSON fields that must equal a value: a dotted path (`a.b.0.c`, digits index arrays)
    /// and the expected value. Numbers compare by value (`1` equals `1.0`).
    pub json: Vec<(String, Value)>,
}

impl Expect {
    /// True when the checks name `status` as a success or an expected failure (a 401 the
    /// step expects is no reason to log in again).
    pub(crate) fn names_status(&self, status: u16) -> bool {
        self.status.contains(&status) || self.expected_failure_status.contains(&status)
    }

    /// True when judging needs the response body (otherwise it is drained unread).
    pub fn needs_body(&self) -> bool {
        self.body_contains.is_some() || !self.json.is_empty()
    }

    /// Judges the status: `Err(outcome)` is final, `Ok(())` goes on to the body checks.
    pub fn check_status(&self, status: u16) -> Result<(), Outcome> {
        if self.expected_failure_status.contains(&status) {
            return Err(Outcome::ExpectedFailure);
        }
        let ok = if self.status.is_empty() {
            (200..300).contains(&status)
        } else {
            self.status.contains(&status)
        };
        match (ok, status / 100) {
            (true, _) => Ok(()),
            (false, 4) => Err(Outcome::Http4xx),
            (false, 5) => Err(Outcome::Http5xx),
            (false, _) => Err(Outcome::HttpOther),
        }
    }

    /// Judges the status of a request that may have been built to fail (`built_to_fail` is the
    /// status a correct target answers): that status is an expected failure, a 2xx means the
    /// target accepted what it should have refused (a failed check), anything else is judged
    /// by its class. Requests not built to fail are judged by [`Expect::check_status`].
    pub fn check_status_for(&self, status: u16, built_to_fail: Option<u16>) -> Result<(), Outcome> {
        match built_to_fail {
            None => self.check_status(status),
            Some(s) if s == status => Err(Outcome::ExpectedFailure),
            Some(_) => Err(match status / 100 {
                2 => Outcome::CheckFailed,
                4 => Outcome::Http4xx,
                5 => Outcome::Http5xx,
                _ => Outcome::HttpOther,
            }),
        }
    }

    /// Runs the body checks on a complete body.
    pub fn check_body(&self, body: &[u8]) -> bool {
        if let Some(needle) = &self.body_contains {
            if !contains(body, needle.as_bytes()) {
                return false;
            }
        }
        if self.json.is_empty() {
            return true;
        }
        let Ok(doc) = serde_json::from_slice::<Value>(body) else {
            return false;
        };
        self.json
            .iter()
            .all(|(path, want)| lookup(&doc, path).is_some_and(|got| json_eq(got, want)))
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Follows a dotted path: object keys by name, array elements by decimal index.
fn lookup<'v>(doc: &'v Value, path: &str) -> Option<&'v Value> {
    if path.is_empty() {
        return Some(doc);
    }
    path.split('.').try_fold(doc, |v, key| match v {
        Value::Object(m) => m.get(key),
        Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

fn json_eq(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Number(a), Value::Number(b)) => {
            a == b || matches!((a.as_f64(), b.as_f64()), (Some(x), Some(y)) if x == y)
        }
        _ => got == want,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_rules() {
        let any = Expect::default();
        assert_eq!(any.check_status(204), Ok(()));
        assert_eq!(any.check_status(302), Err(Outcome::HttpOther));
        assert_eq!(any.check_status(404), Err(Outcome::Http4xx));
        assert_eq!(any.check_status(503), Err(Outcome::Http5xx));
        let set = Expect {
            status: vec![201, 409],
            expected_failure_status: vec![402],
            ..Expect::default()
        };
        assert_eq!(set.check_status(409), Ok(()));
        assert_eq!(set.check_status(200), Err(Outcome::HttpOther));
        assert_eq!(set.check_status(402), Err(Outcome::ExpectedFailure));
    }

    #[test]
    fn json_paths_and_values() {
        let body = br#"{"a":{"b":[{"c":1},{"c":"x"}]},"n":2.0,"t":true,"z":null}"#;
        let e = |path: &str, v: Value| Expect {
            json: vec![(path.to_owned(), v)],
            ..Expect::default()
        };
        assert!(e("a.b.0.c", json!(1)).check_body(body));
        assert!(e("a.b.1.c", json!("x")).check_body(body));
        assert!(e("n", json!(2)).check_body(body));
        assert!(e("t", json!(true)).check_body(body));
        assert!(e("z", Value::Null).check_body(body));
        assert!(!e("a.b.2.c", json!(1)).check_body(body));
        assert!(!e("a.b.x", json!(1)).check_body(body));
        assert!(!e("a.b.0.c", json!("1")).check_body(body));
        assert!(!e("a", json!(1)).check_body(b"not json"));
    }

    #[test]
    fn body_contains() {
        let e = Expect {
            body_contains: Some("lo w".into()),
            ..Expect::default()
        };
        assert!(e.needs_body());
        assert!(e.check_body(b"hello world"));
        assert!(!e.check_body(b"hello"));
        assert!(!Expect::default().needs_body());
    }
}

#[cfg(test)]
mod built_to_fail_tests {
    use super::*;

    #[test]
    fn a_built_to_fail_request_is_judged_by_its_own_status() {
        let e = Expect {
            status: vec![201],
            ..Expect::default()
        };
        assert_eq!(
            e.check_status_for(402, Some(402)),
            Err(Outcome::ExpectedFailure)
        );
        assert_eq!(
            e.check_status_for(201, Some(402)),
            Err(Outcome::CheckFailed),
            "accepting a declined card is an error"
        );
        assert_eq!(e.check_status_for(500, Some(402)), Err(Outcome::Http5xx));
        assert_eq!(e.check_status_for(422, Some(402)), Err(Outcome::Http4xx));
        assert_eq!(e.check_status_for(201, None), Ok(()));
    }
}
