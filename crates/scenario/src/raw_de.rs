//! Hand-written `Deserialize` for the raw values that take more than one shape.
//!
//! Written as visitors rather than `#[serde(untagged)]` so that errors inside a table (an
//! unknown field) keep their message and span instead of becoming "did not match any variant".

use crate::raw::{RawThinkTable, RawThresholdFull, S};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// A TOML table whose keys are data (headers, JSON checks, thresholds), in file order.
#[derive(Debug)]
pub(crate) struct OrderedMap<V>(pub Vec<(S<String>, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V2<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for V2<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = m.next_key::<S<String>>()? {
                    out.push((k, m.next_value()?));
                }
                Ok(OrderedMap(out))
            }
        }
        d.deserialize_map(V2(std::marker::PhantomData))
    }
}

/// A stage target: a rate string (open model) or a VU count (closed model).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawStageTarget {
    Text(String),
    Int(i64),
    Float(f64),
}

impl<'de> Deserialize<'de> for RawStageTarget {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RawStageTarget;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a rate such as \"100/s\" or a number of VUs")
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawStageTarget::Text(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(RawStageTarget::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                i64::try_from(v)
                    .map(RawStageTarget::Int)
                    .map_err(|_| E::custom("number too large"))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(RawStageTarget::Float(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// `think_time`: a duration string or a table naming a distribution.
#[derive(Debug)]
pub(crate) enum RawThink {
    Fixed(String),
    Table(RawThinkTable),
}

impl<'de> Deserialize<'de> for RawThink {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawThink;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a duration such as \"1s\", { uniform = [\"500ms\", \"2s\"] } or { exponential = \"1s\" }",
                )
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawThink::Fixed(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Self::Value, A::Error> {
                RawThinkTable::deserialize(de::value::MapAccessDeserializer::new(m))
                    .map(RawThink::Table)
            }
        }
        d.deserialize_any(V)
    }
}

/// One threshold: an expression string or a table with options.
#[derive(Debug)]
pub(crate) enum RawThresholdItem {
    Expr(String),
    Full(RawThresholdFull),
}

impl<'de> Deserialize<'de> for RawThresholdItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawThresholdItem;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an expression such as \"p(95) < 500ms\" or { threshold = \"...\", abort_on_fail = true }")
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawThresholdItem::Expr(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Self::Value, A::Error> {
                RawThresholdFull::deserialize(de::value::MapAccessDeserializer::new(m))
                    .map(RawThresholdItem::Full)
            }
        }
        d.deserialize_any(V)
    }
}
