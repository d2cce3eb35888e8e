//! A step's `webhook`/`callback` table checked, with its `expect`; the tables' own fields
//! are read by `grammar`.

use super::grammar::{callback, delivery};
use super::spec::{WebhookStep, WebhookStepSpec};
use crate::check::{Checker, S};
use crate::raw::RawStep;
use crate::units::parse_duration;
use std::time::Duration;

/// The step's `webhook`/`callback` table, when it has one: `(key, table)`.
pub(crate) fn raw_table(s: &RawStep) -> Option<(&'static str, &S<toml::Table>)> {
    match (&s.webhook, &s.callback) {
        (Some(t), _) => Some(("webhook", t)),
        (None, Some(t)) => Some(("callback", t)),
        (None, None) => None,
    }
}

/// The webhook step `s` (which has a `webhook` or `callback` table), every problem reported
/// under `field` (`workload[0].step[1]`).
pub(crate) fn step(
    c: &mut Checker<'_>,
    s: &RawStep,
    field: &str,
    payloads: &[String],
) -> Option<WebhookStep> {
    let (key, table) = raw_table(s)?;
    if let Some(cap) = &s.capture {
        c.at(
            cap,
            format!("{field}.capture"),
            "webhook and callback steps do not capture; capture in an http step",
        );
    }
    if let Some(scope) = &s.scope {
        c.at(
            scope,
            format!("{field}.scope"),
            "webhook and callback steps run every iteration",
        );
    }
    match parse(s, payloads) {
        Ok((spec, status)) => Some(WebhookStep {
            name: s.name.get_ref().clone(),
            spec,
            status,
        }),
        Err((sub, message)) => {
            let sub = if sub.is_empty() { key.to_string() } else { sub };
            c.at(table, format!("{field}.{sub}"), message);
            None
        }
    }
}

/// A problem: sub-field (after the step's field path) and message.
pub(crate) type Bad = (String, String);

pub(super) fn bad(field: impl Into<String>, message: impl std::fmt::Display) -> Bad {
    (field.into(), message.to_string())
}

/// Parses a step's `webhook`/`callback` table and its `expect` (status codes only).
fn parse(s: &RawStep, payloads: &[String]) -> Result<(WebhookStepSpec, Vec<u16>), Bad> {
    let Some((key, table)) = raw_table(s) else {
        return Err(bad("", "not a webhook step"));
    };
    if s.http.is_some() || (s.webhook.is_some() && s.callback.is_some()) {
        return Err(bad(
            key,
            "a step is one of http, webhook or callback, not several",
        ));
    }
    let status = match &s.expect {
        None => Vec::new(),
        Some(e) => {
            let e = e.get_ref();
            if e.expected_failure_status.is_some()
                || e.body_contains.is_some()
                || !e.json.is_empty()
            {
                return Err(bad(
                    "expect",
                    "webhook and callback steps check the status only (built-to-fail deliveries carry their own expected answers)",
                ));
            }
            let codes: Vec<u16> = e
                .status
                .as_ref()
                .map(|v| v.get_ref().iter().map(|c| *c.get_ref()).collect())
                .unwrap_or_default();
            if let Some(c) = codes.iter().find(|c| !(100..=599).contains(*c)) {
                return Err(bad(
                    "expect.status",
                    format!("{c} is not an HTTP status (100..599)"),
                ));
            }
            codes
        }
    };
    let t = table.get_ref();
    let spec = match key {
        "webhook" => WebhookStepSpec::Delivery(Box::new(
            delivery(t, payloads).map_err(|(f, m)| (format!("webhook.{f}"), m))?,
        )),
        _ => WebhookStepSpec::Callback(
            callback(t, payloads).map_err(|(f, m)| (format!("callback.{f}"), m))?,
        ),
    };
    Ok((spec, status))
}

pub(super) fn string<'t>(t: &'t toml::Table, key: &str) -> Result<Option<&'t str>, Bad> {
    match t.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(key, "expected a string")),
    }
}

pub(super) fn required<'t>(t: &'t toml::Table, key: &str, example: &str) -> Result<&'t str, Bad> {
    string(t, key)?.ok_or_else(|| bad(key, format!("required (e.g. {key} = {example})")))
}

pub(super) fn unknown(t: &toml::Table, known: &[&str]) -> Result<(), Bad> {
    match t.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(bad(
            k.as_str(),
            format!("unknown field (known: {})", known.join(", ")),
        )),
        None => Ok(()),
    }
}

pub(super) fn path(t: &toml::Table) -> Result<String, Bad> {
    let p = required(t, "path", "\"/webhooks/stripe\"")?;
    if !p.starts_with('/') {
        return Err(bad("path", "a path starts with `/`"));
    }
    Ok(p.to_string())
}

pub(super) fn weight(v: &toml::Value) -> Option<f64> {
    v.as_float()
        .or_else(|| v.as_integer().map(|i| i as f64))
        .filter(|w| w.is_finite() && *w > 0.0)
}

pub(super) fn payload_ref(text: &str, key: &str, payloads: &[String]) -> Result<usize, Bad> {
    let name = text
        .strip_prefix('@')
        .ok_or_else(|| bad(key, "expected \"@NAME\" naming a [payload.NAME]"))?;
    payloads.iter().position(|p| p == name).ok_or_else(|| {
        let known = if payloads.is_empty() {
            "none defined".to_string()
        } else {
            payloads.join(", ")
        };
        bad(key, format!("no [payload.{name}] (known: {known})"))
    })
}

pub(super) fn headers(t: &toml::Table) -> Result<Vec<(String, String)>, Bad> {
    let Some(h) = t.get("headers") else {
        return Ok(Vec::new());
    };
    let toml::Value::Table(h) = h else {
        return Err(bad("headers", "expected { name = \"value\" }"));
    };
    h.iter()
        .map(|(k, v)| match v {
            toml::Value::String(s)
                if http::HeaderName::from_bytes(k.as_bytes()).is_ok()
                    && http::HeaderValue::from_str(s).is_ok() =>
            {
                Ok((k.clone(), s.clone()))
            }
            _ => Err(bad(
                format!("headers.{k}"),
                "not a valid header name and string value",
            )),
        })
        .collect()
}

pub(super) fn duration(t: &toml::Table, key: &str) -> Result<Option<Duration>, Bad> {
    string(t, key)?
        .map(|s| parse_duration(s).map_err(|m| bad(key, m)))
        .transpose()
}
