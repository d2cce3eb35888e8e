//! The scan against `serde_json`: for every document and path, the same value or the same
//! absence, and the same refusal of what is not JSON.

use super::*;
use serde_json::Value;

fn path(p: &[&str]) -> Vec<Segment> {
    p.iter()
        .map(|s| match s.parse() {
            Ok(n) => Segment::Index(n),
            Err(_) => Segment::Key((*s).to_owned()),
        })
        .collect()
}

/// What serde_json finds: `Err` for a refused text, else the value's text as a capture
/// writes it (a string's contents, anything else its compact JSON).
fn serde(doc: &[u8], p: &[Segment]) -> Result<Option<Vec<u8>>, Invalid> {
    let v: Value = serde_json::from_slice(doc).map_err(|_| Invalid)?;
    let found = p.iter().try_fold(&v, |v, s| match s {
        Segment::Key(k) => v.get(k.as_str()),
        Segment::Index(i) => v.get(*i),
    });
    Ok(found.map(|v| match v {
        Value::String(s) => s.as_bytes().to_vec(),
        other => other.to_string().into_bytes(),
    }))
}

fn scan(doc: &[u8], p: &[Segment]) -> Result<Option<Vec<u8>>, Invalid> {
    Ok(find(doc, p)?.map(|f| match f {
        Found::Str { raw, escaped } => {
            let mut out = Vec::new();
            match escaped {
                true => unescape_into(raw, &mut out),
                false => out.extend_from_slice(raw),
            }
            out
        }
        Found::Number { raw, plain: true } => raw.to_vec(),
        Found::Number { raw, .. } | Found::Composite(raw) => {
            let v: Value = serde_json::from_slice(raw).unwrap();
            v.to_string().into_bytes()
        }
        Found::Bool(b) => b.to_string().into_bytes(),
        Found::Null => b"null".to_vec(),
    }))
}

const DOCS: &[&str] = &[
    r#"{"id":"pay_1"}"#,
    r#" { "id" : "pay_1" , "n" : 7 } "#,
    r#"{"id":"a","id":"b"}"#,
    r#"{"a":{"id":1},"a":{"x":2}}"#,
    r#"{"a":{"x":2},"a":{"id":1}}"#,
    r#"{"data":{"items":[{"id":"a"},{"id":"b"}]},"id":null}"#,
    r#"{"i\u0064":"esc-key","id2":"x"}"#,
    r#"{"id":"tab\there \"q\" \\ \/ \u00e9 \ud83d\ude00"}"#,
    r#"{"id":-0}"#,
    r#"{"id":-12}"#,
    r#"{"id":1.50}"#,
    r#"{"id":1e2}"#,
    r#"{"id":12345678901234567890123}"#,
    r#"{"id":123456789012345678}"#,
    r#"{"id":true,"n":false}"#,
    r#"{"id":{"b":1,"a":[1,2]}}"#,
    r#"{"id":[]}"#,
    r#"[{"id":"first"},{"id":"second"}]"#,
    r#""just a string""#,
    "42",
    "{}",
    "[]",
    "{\"id\":\"\u{e9}t\u{e9}\"}",
    // Refused by serde_json, so by the scan.
    r#"{"id":"x"} trailing"#,
    r#"{"id":"x",}"#,
    r#"{"id":01}"#,
    r#"{"id":1.}"#,
    r#"{"id":.5}"#,
    r#"{"id":1e}"#,
    r#"{"id":1e400}"#,
    r#"{"id":"lone \ud83d"}"#,
    r#"{"id":"lone \ude00"}"#,
    r#"{"id":"bad \x"}"#,
    "{\"id\":\"ctl \u{1}\"}",
    r#"{"id":tru}"#,
    r#"{"id" "x"}"#,
    r#"{id:"x"}"#,
    r#"{"id":"x""#,
    "",
    "   ",
    r#"{"a":1,"id":"late"} {"#,
];

const PATHS: &[&[&str]] = &[
    &[],
    &["id"],
    &["n"],
    &["id2"],
    &["a", "id"],
    &["data", "items", "1", "id"],
    &["data", "items", "2", "id"],
    &["0", "id"],
    &["1", "id"],
    &["id", "a"],
    &["id", "0"],
];

#[test]
fn the_scan_agrees_with_serde_json() {
    for doc in DOCS {
        for p in PATHS {
            let p = path(p);
            assert_eq!(
                scan(doc.as_bytes(), &p),
                serde(doc.as_bytes(), &p),
                "{doc} at {p:?}"
            );
        }
    }
}

#[test]
fn invalid_utf8_and_nesting_past_the_limit_are_refused_as_serde_does() {
    let p = path(&["id"]);
    let bad = b"{\"id\":\"\xff\"}";
    assert_eq!(scan(bad, &p), Err(Invalid));
    assert!(serde(bad, &p).is_err());
    for depth in [126, 127, 128, 129] {
        let doc = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert_eq!(
            scan(doc.as_bytes(), &[]).is_ok(),
            serde(doc.as_bytes(), &[]).is_ok(),
            "depth {depth}"
        );
    }
}

#[test]
fn escaped_keys_compare_decoded() {
    assert!(key_is(br"i\u0064", true, b"id"));
    assert!(!key_is(br"i\u0064x", true, b"id"));
    assert!(!key_is(br"i\u0064", true, b"idx"));
    assert!(key_is(b"id", false, b"id"));
}
