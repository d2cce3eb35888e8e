//! Field paths for serde's errors: which field (`workload[0].step[1].bogus`) a span is in.
//!
//! serde stops at its first error and names only the key (`unknown field ...`). Re-reading
//! the (syntactically valid) text as a tree of spanned keys and values lets the error say
//! where it is, with array indices.

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::ops::Range;
use toml::Spanned;

enum Node {
    Table(Vec<(Spanned<String>, Spanned<Node>)>),
    Array(Vec<Spanned<Node>>),
    Leaf,
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any TOML value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_str<E>(self, _: &str) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(k) = m.next_key::<Spanned<String>>()? {
                    entries.push((k, m.next_value()?));
                }
                Ok(Node::Table(entries))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(x) = s.next_element()? {
                    items.push(x);
                }
                Ok(Node::Array(items))
            }
        }
        d.deserialize_any(V)
    }
}

/// The path of the deepest key or value of `text` that holds `span`; empty if none does or
/// the text does not parse.
pub(crate) fn path_at(text: &str, span: &Range<usize>) -> String {
    toml::from_str::<Node>(text)
        .ok()
        .and_then(|root| find(&root, span, ""))
        .unwrap_or_default()
}

/// Searches every child: the span of an array of tables (`[[w]]`) need not cover the tables
/// nested in it (`[[w.step]]`), so a parent's span cannot prune the search.
fn find(node: &Node, span: &Range<usize>, path: &str) -> Option<String> {
    let visit = |here: String, key: Option<&Range<usize>>, v: &Spanned<Node>| {
        if key.is_some_and(|k| contains(k, span)) {
            return Some(here);
        }
        find(v.get_ref(), span, &here).or_else(|| contains(&v.span(), span).then_some(here))
    };
    match node {
        Node::Table(entries) => entries.iter().find_map(|(k, v)| {
            let mut here = path.to_string();
            push_key(&mut here, k.get_ref());
            visit(here, Some(&k.span()), v)
        }),
        Node::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| visit(format!("{path}[{i}]"), None, v)),
        Node::Leaf => None,
    }
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && outer.start < outer.end
}

/// Appends `key` to a dotted path, quoting it if it is not a bare key.
pub(crate) fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        path.push_str(key);
    } else {
        path.push_str(&format!("{key:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_values_and_indices() {
        let text = "a = 1\n[[w]]\nx = 1\n[[w]]\ny = { z = [1, 2] }\n\"k{s=1}\" = 2\n";
        let at = |needle: &str| {
            let s = text.find(needle).unwrap();
            path_at(text, &(s..s + needle.len()))
        };
        assert_eq!(at("y"), "w[1].y");
        assert_eq!(at("2"), "w[1].y.z[1]");
        assert_eq!(at("x"), "w[0].x");
        assert_eq!(at("\"k{s=1}\""), "w[1].\"k{s=1}\"");
        assert_eq!(path_at("a = [", &(0..1)), "");
        let nested = "[[w]]\nx = 1\n[[w.s]]\nbad = 1\n";
        let b = nested.find("bad").unwrap();
        assert_eq!(path_at(nested, &(b..b + 3)), "w[0].s[0].bad");
    }
}
