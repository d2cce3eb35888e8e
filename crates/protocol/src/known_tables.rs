//! The tables whose grammar is read by hand — `[payload.NAME]`, a step's `webhook = {…}` and
//! `callback = {…}`, a workload's `rate = { pattern = … }` — as raw types whose walk checks
//! their keys against those grammars' own field lists (`payload::FIELDS`,
//! `webhook::grammar::DELIVERY_KEYS`, `pattern::fields_of`…). Every unknown key is reported at
//! the key with a suggestion and removed, so the grammar then reads only known keys.
//!
//! Each type is its table or value as serde reads it (`#[serde(transparent)]`), and derefs to
//! it.

use loadgen_grammar::known::{Known, Walk};
use serde::Deserialize;
use toml_edit::Item;

macro_rules! hand_read {
    ($(#[$meta:meta])* $name:ident($inner:ty)) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl std::ops::Deref for $name {
            type Target = $inner;
            fn deref(&self) -> &$inner {
                &self.0
            }
        }
    };
}

hand_read!(
    /// `[payload.NAME]`, read by `payload::parse`.
    PayloadTable(toml::Table)
);
hand_read!(
    /// A step's `webhook = {…}`, read by the webhook slice's grammar.
    WebhookTable(toml::Table)
);
hand_read!(
    /// A step's `callback = {…}`, read by the webhook slice's grammar.
    CallbackTable(toml::Table)
);
hand_read!(
    /// A workload's `rate`: `"50/s"`, a pattern table or a replay table, read by
    /// `pattern::parse_in`.
    RateValue(toml::Value)
);

/// The keys of `item`'s sub-table `key` (when it is a table) must be among `fields`.
fn sub_table(w: &mut Walk<'_>, item: &mut Item, path: &str, fields: &[&str]) -> bool {
    if item.is_table_like() {
        w.table(item, path, fields, |_, _, _, _| true);
    }
    true
}

impl Known for PayloadTable {
    fn walk(item: &mut Item, path: &str, w: &mut Walk<'_>) -> bool {
        use loadgen_payload::payload::{
            AMOUNT_FIELDS, FAIL_FIELDS, FIELDS, LARGE_FIELDS, LOGNORMAL_FIELDS,
        };
        w.table(item, path, &FIELDS, |key, child, path, w| match key {
            "amount" if child.is_table_like() => w.table(
                child,
                path,
                &AMOUNT_FIELDS,
                |key, child, path, w| match key {
                    "lognormal" => sub_table(w, child, path, &LOGNORMAL_FIELDS),
                    _ => true,
                },
            ),
            "large" => sub_table(w, child, path, &LARGE_FIELDS),
            "fail" => sub_table(w, child, path, &FAIL_FIELDS),
            "fail_status" => sub_table(w, child, path, &FAIL_FIELDS[1..]),
            _ => true,
        })
    }
}

impl Known for WebhookTable {
    fn walk(item: &mut Item, path: &str, w: &mut Walk<'_>) -> bool {
        use crate::webhook::grammar::{DELIVERY_KEYS, FAIL_KEYS, RETRY_KEYS};
        w.table(
            item,
            path,
            &DELIVERY_KEYS,
            |key, child, path, w| match key {
                "retries" => sub_table(w, child, path, &RETRY_KEYS),
                "fail" => sub_table(w, child, path, &FAIL_KEYS),
                _ => true,
            },
        )
    }
}

impl Known for CallbackTable {
    fn walk(item: &mut Item, path: &str, w: &mut Walk<'_>) -> bool {
        use crate::webhook::grammar::CALLBACK_KEYS;
        w.table(item, path, &CALLBACK_KEYS, |_, _, _, _| true)
    }
}

impl Known for RateValue {
    fn walk(item: &mut Item, path: &str, w: &mut Walk<'_>) -> bool {
        let table = item.as_table_like();
        let replay = table.is_some_and(|t| t.contains_key("replay") && !t.contains_key("pattern"));
        let Some(kind) = table
            .and_then(|t| t.get("pattern"))
            .and_then(|p| p.as_str())
            .map(str::to_string)
            .or_else(|| replay.then(|| "replay".to_string()))
        else {
            // A string, or a table without a pattern: the pattern grammar says what is wrong.
            return true;
        };
        let Some(fields) = loadgen_schedule::pattern::fields_of(&kind) else {
            return true; // an unknown pattern, reported by the grammar with the known ones
        };
        w.table(item, path, fields, |key, child, path, w| match key {
            "parts" if child.is_array() => w.array(child, path, RateValue::walk),
            "stages" if child.is_array() => w.array(child, path, |e, p, w| {
                sub_table(w, e, p, &loadgen_schedule::pattern::STAGE_FIELDS)
            }),
            "steps" if child.is_array() => w.array(child, path, |e, p, w| {
                sub_table(w, e, p, &loadgen_schedule::pattern::STEP_FIELDS)
            }),
            _ => true,
        })
    }
}
