//! Reading one field of a JSON message: the id of a reply, the timestamp of a push.

use serde_json::Value;

/// The value at `path` in `msg`, if `msg` is JSON and has it.
pub(crate) fn field(msg: &[u8], path: &[String]) -> Option<Value> {
    let mut v: Value = serde_json::from_slice(msg).ok()?;
    for key in path {
        v = match v {
            Value::Object(mut m) => m.remove(key)?,
            Value::Array(mut a) => {
                let i: usize = key.parse().ok()?;
                if i < a.len() {
                    a.swap_remove(i)
                } else {
                    return None;
                }
            }
            _ => return None,
        };
    }
    Some(v)
}

/// An id as a map key: strings as they are, other values as their JSON text.
pub(crate) fn id_key(v: Value) -> String {
    match v {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<String> {
        s.split('.').map(str::to_string).collect()
    }

    #[test]
    fn reads_nested_fields_and_ids() {
        let m = br#"{"id":"7","data":{"ts":12.5,"xs":[1,{"k":2}]}}"#;
        assert_eq!(field(m, &p("id")).map(id_key), Some("7".into()));
        assert_eq!(field(m, &p("data.ts")).and_then(|v| v.as_f64()), Some(12.5));
        assert_eq!(field(m, &p("data.xs.1.k")), Some(serde_json::json!(2)));
        assert_eq!(id_key(serde_json::json!(42)), "42");
        assert!(field(m, &p("nope")).is_none());
        assert!(field(b"not json", &p("id")).is_none());
    }
}
