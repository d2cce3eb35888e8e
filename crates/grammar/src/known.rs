//! Every key of a scenario checked against the fields its raw structs declare, before serde
//! reads the file.
//!
//! serde's `deny_unknown_fields` stops at the first unknown key, and a type error stops it
//! too: a file with two misspelt fields would report one. This walk goes over the whole parsed
//! document (`toml_edit`, which keeps the place of every key and value) and reports every
//! unknown key (file:line:col of the key, the field path, "did you mean") and every value of
//! the wrong type, and removes them, so serde then reads what is left and validation goes on
//! to report the problems of meaning too — all in one run.
//!
//! The known fields come from the raw structs themselves: each is declared inside
//! [`known_fields!`], which writes the struct's walk from its own field names and field types,
//! so the list cannot drift from what serde reads. The tables whose grammar is read by hand
//! (payloads, webhook and callback steps, rate patterns) have walks in `known_tables.rs`
//! that use those grammars' own field lists.

use crate::error::{Locator, Problem};
use crate::suggest;
use std::collections::{BTreeMap, HashMap, HashSet};
use toml_edit::{Item, Value};

/// The problems the walk found, with their places in the (interpolated) text.
pub struct Walk<'a> {
    loc: Locator<'a>,
    pub problems: Vec<Problem>,
    /// Fields named in a "did you mean" or removed for their type: serde's "missing field"
    /// for one of them repeats a problem already reported.
    pub accounted: HashSet<String>,
}

/// A raw type that knows which keys and value types it accepts.
pub trait Known {
    /// Checks `item`, the value at field path `path`, reporting what is unknown or of the
    /// wrong type (and removing it from inside `item`). `false`: `item` itself is of the
    /// wrong type (reported); the caller removes it.
    fn walk(item: &mut Item, path: &str, w: &mut Walk<'_>) -> bool;
}

impl<'a> Walk<'a> {
    pub fn new(text: &'a str) -> Self {
        Walk {
            loc: Locator::new(text),
            problems: Vec::new(),
            accounted: HashSet::new(),
        }
    }

    fn at(&mut self, offset: usize, field: &str, message: String) {
        self.problems.push(self.loc.problem(offset, field, message));
    }

    /// `item` is not `expected` (e.g. "a string"): reported; returns `false` (remove it).
    pub fn wrong_type(&mut self, item: &Item, path: &str, expected: &str) -> bool {
        let offset = item.span().map_or(0, |s| s.start);
        self.at(
            offset,
            path,
            format!("invalid type: {}, expected {expected}", item.type_name()),
        );
        self.accounted.insert(last_key(path).to_string());
        false
    }

    /// A table whose keys must be among `fields`; `field` walks the value of a known key
    /// (`false`: remove it). Unknown keys are reported at the key, with a suggestion.
    pub fn table(
        &mut self,
        item: &mut Item,
        path: &str,
        fields: &[&str],
        mut field: impl FnMut(&str, &mut Item, &str, &mut Walk<'a>) -> bool,
    ) -> bool {
        let start = item.span().map_or(0, |s| s.start);
        let Some(t) = item.as_table_like_mut() else {
            return self.wrong_type(item, path, "a table");
        };
        let keys: Vec<String> = t.iter().map(|(k, _)| k.to_string()).collect();
        let mut remove = Vec::new();
        for key in keys {
            let sub = join(path, &key);
            if fields.contains(&key.as_str()) {
                if let Some(child) = t.get_mut(&key) {
                    if !field(&key, child, &sub, self) {
                        remove.push(key);
                    }
                }
            } else {
                let offset = key_offset(t, &key).unwrap_or(start);
                self.unknown(offset, &sub, &key, fields);
                remove.push(key);
            }
        }
        for key in remove {
            t.remove(&key);
        }
        true
    }

    /// A table of any keys whose values `value` walks (`false`: remove that entry).
    pub fn map(
        &mut self,
        item: &mut Item,
        path: &str,
        mut value: impl FnMut(&mut Item, &str, &mut Walk<'a>) -> bool,
    ) -> bool {
        let Some(t) = item.as_table_like_mut() else {
            return self.wrong_type(item, path, "a table");
        };
        let keys: Vec<String> = t.iter().map(|(k, _)| k.to_string()).collect();
        for key in keys {
            let keep = match t.get_mut(&key) {
                Some(child) => value(child, &join(path, &key), self),
                None => true,
            };
            if !keep {
                t.remove(&key);
            }
        }
        true
    }

    /// An array whose elements `element` walks (`false`: remove that element).
    pub fn array(
        &mut self,
        item: &mut Item,
        path: &str,
        mut element: impl FnMut(&mut Item, &str, &mut Walk<'a>) -> bool,
    ) -> bool {
        let mut remove = Vec::new();
        match item {
            Item::ArrayOfTables(a) => {
                for (i, t) in a.iter_mut().enumerate() {
                    let mut it = Item::Table(std::mem::take(t));
                    if !element(&mut it, &format!("{path}[{i}]"), self) {
                        remove.push(i);
                    }
                    if let Ok(back) = it.into_table() {
                        *t = back;
                    }
                }
                remove.iter().rev().for_each(|i| a.remove(*i));
            }
            Item::Value(Value::Array(a)) => {
                for (i, v) in a.iter_mut().enumerate() {
                    let mut it = Item::Value(std::mem::replace(v, Value::from(false)));
                    if !element(&mut it, &format!("{path}[{i}]"), self) {
                        remove.push(i);
                    }
                    if let Ok(back) = it.into_value() {
                        *v = back;
                    }
                }
                remove.iter().rev().for_each(|i| {
                    a.remove(*i);
                });
            }
            Item::None => {}
            other => return self.wrong_type(other, path, "an array"),
        }
        true
    }

    /// Reports unknown key `key` (at `offset`) of a table that knows `fields`, in serde's
    /// words so the message reads the same as any other unknown field, with a suggestion.
    pub fn unknown(&mut self, offset: usize, path: &str, key: &str, fields: &[&str]) {
        let expected = match fields {
            [] => "there are no fields".to_string(),
            [one] => format!("expected `{one}`"),
            many => {
                let listed: Vec<String> = many.iter().map(|f| format!("`{f}`")).collect();
                format!("expected one of {}", listed.join(", "))
            }
        };
        if let Some(near) = suggest::closest(key, fields.iter().copied()) {
            self.accounted.insert(near.to_string());
        }
        let message = suggest::with_suggestion(&format!("unknown field `{key}`, {expected}"));
        self.at(offset, path, message);
    }
}

/// The byte offset of every value in `item` by its field path (`workload[0].rate.peak`,
/// `payload.card.amount.fixed`): a grammar read by hand names the sub-field of its problem,
/// and the problem is reported at that value rather than at the start of its table.
pub fn places(item: &Item, path: &str, out: &mut HashMap<String, usize>) {
    if let Some(span) = item.span() {
        out.insert(path.to_string(), span.start);
    }
    match item {
        Item::ArrayOfTables(a) => {
            for (i, t) in a.iter().enumerate() {
                if let Some(span) = t.span() {
                    out.insert(format!("{path}[{i}]"), span.start);
                }
                for (k, v) in t.iter() {
                    places(v, &join(&format!("{path}[{i}]"), k), out);
                }
            }
        }
        Item::Value(Value::Array(a)) => {
            for (i, v) in a.iter().enumerate() {
                places(&Item::Value(v.clone()), &format!("{path}[{i}]"), out);
            }
        }
        _ => {
            if let Some(t) = item.as_table_like() {
                for (k, v) in t.iter() {
                    places(v, &join(path, k), out);
                }
            }
        }
    }
}

/// Byte offset of `key` (or, for an implicit table, its value) in table `t`.
fn key_offset(t: &dyn toml_edit::TableLike, key: &str) -> Option<usize> {
    let (k, v) = t.get_key_value(key)?;
    k.span().or_else(|| v.span()).map(|s| s.start)
}

/// `path.key`, or `key` at the top.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn last_key(path: &str) -> &str {
    let last = path.rsplit('.').next().unwrap_or(path);
    last.split('[').next().unwrap_or(last)
}

/// Declares a raw struct and its [`Known`] walk from the same field list: every key of the
/// table must be one of the fields, and each field's value is walked by the field's type.
#[macro_export]
macro_rules! known_fields {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $fvis:vis $field:ident : $ty:ty
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $( $(#[$fmeta])* $fvis $field : $ty, )*
        }

        impl $crate::known::Known for $name {
            fn walk(
                item: &mut ::toml_edit::Item,
                path: &str,
                w: &mut $crate::known::Walk<'_>,
            ) -> bool {
                w.table(item, path, &[$(stringify!($field)),*], |key, child, path, w| {
                    $(
                        if key == stringify!($field) {
                            return <$ty as $crate::known::Known>::walk(child, path, w);
                        }
                    )*
                    true
                })
            }
        }
    };
}
pub use crate::known_fields;

impl<T: Known> Known for Option<T> {
    fn walk(item: &mut Item, path: &str, w: &mut Walk<'_>) -> bool {
        T::walk(item, path, w)
    }
}

impl<T: Known> Known for toml::Spanned<T> {
    fn walk(item: &mut Item, path: &str, w: &mut Walk<'_>) -> bool {
        T::walk(item, path, w)
    }
}

impl<T: Known> Known for Vec<T> {
    fn walk(item: &mut Item, path: &str, w: &mut Walk<'_>) -> bool {
        w.array(item, path, T::walk)
    }
}

impl<T: Known> Known for indexmap::IndexMap<String, T> {
    fn walk(item: &mut Item, path: &str, w: &mut Walk<'_>) -> bool {
        w.map(item, path, T::walk)
    }
}

impl<T: Known> Known for BTreeMap<String, T> {
    fn walk(item: &mut Item, path: &str, w: &mut Walk<'_>) -> bool {
        w.map(item, path, T::walk)
    }
}

/// Scalars: the value must be of the type serde will read.
macro_rules! known_scalar {
    ($($ty:ty => $expected:literal, $ok:expr;)*) => {
        $(
            impl Known for $ty {
                fn walk(item: &mut Item, path: &str, w: &mut Walk<'_>) -> bool {
                    let ok: fn(&Value) -> bool = $ok;
                    match item.as_value() {
                        Some(v) if ok(v) => true,
                        _ => w.wrong_type(item, path, $expected),
                    }
                }
            }
        )*
    };
}

known_scalar! {
    String => "a string", |v| v.is_str();
    bool => "a boolean", |v| v.is_bool();
    f64 => "a number", |v| v.is_float() || v.is_integer();
    u64 => "a non-negative integer", |v| v.as_integer().is_some_and(|i| i >= 0);
    u32 => "an integer (u32)", |v| v.as_integer().is_some_and(|i| u32::try_from(i).is_ok());
    u16 => "an integer (u16)", |v| v.as_integer().is_some_and(|i| u16::try_from(i).is_ok());
    i64 => "an integer", |v| v.is_integer();
}

/// Any value: its grammar is checked where it is read (`json` bodies, `rate` tables).
impl Known for toml::Value {
    fn walk(_: &mut Item, _: &str, _: &mut Walk<'_>) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::S;

    known_fields! {
        #[derive(Debug, serde::Deserialize)]
        struct Inner {
            size: Option<S<u64>>,
        }
    }

    known_fields! {
        #[derive(Debug, serde::Deserialize)]
        struct Outer {
            name: S<String>,
            #[serde(default)]
            inner: Vec<S<Inner>>,
        }
    }

    fn walk(text: &str) -> (Vec<String>, Item) {
        let mut item = toml_edit::ImDocument::parse(text).unwrap().into_item();
        let mut w = Walk::new(text);
        Outer::walk(&mut item, "", &mut w);
        let p = w
            .problems
            .iter()
            .map(|p| format!("{}:{}: {}: {}", p.line, p.column, p.field, p.message))
            .collect();
        (p, item)
    }

    #[test]
    fn every_unknown_key_and_wrong_type_is_reported_at_its_place_and_removed() {
        let text = "nmae = \"a\"\nname = \"b\"\n[[inner]]\nsize = 1\n[[inner]]\nsise = 2\n[[inner]]\nsize = \"x\"\n";
        let (p, item) = walk(text);
        assert_eq!(p.len(), 3, "{p:#?}");
        assert!(p[0].starts_with("1:1: nmae: unknown field `nmae`, expected one of `name`, `inner`; did you mean `name`?"), "{p:#?}");
        assert!(
            p[1].starts_with("6:1: inner[1].sise: unknown field"),
            "{p:#?}"
        );
        assert!(
            p[2].starts_with(
                "8:8: inner[2].size: invalid type: string, expected a non-negative integer"
            ),
            "{p:#?}"
        );
        // What is left reads with serde, spans intact.
        let doc = toml_edit::DocumentMut::from(item.into_table().unwrap());
        let o: Outer = toml_edit::de::from_document(doc).unwrap();
        assert_eq!(o.inner.len(), 3);
        assert_eq!(o.name.span().start, 18);
        assert!(o.inner[1].get_ref().size.is_none());
    }
}
