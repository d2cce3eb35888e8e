//! A step's `webhook`/`callback` table checked, with its `expect`; the tables' own fields
//! are read by `grammar`.

use super::fields::{bad, Bad};
use super::grammar::{callback, delivery};
use super::spec::{WebhookStep, WebhookStepSpec};
use crate::raw::RawStep;
use loadgen_grammar::check::Checker;

/// The step's `webhook`/`callback` table, when it has one: `(key, its offset, table)`.
pub(crate) fn raw_table(s: &RawStep) -> Option<(&'static str, usize, &toml::Table)> {
    match (&s.webhook, &s.callback) {
        (Some(t), _) => Some(("webhook", t.span().start, t.get_ref())),
        (None, Some(t)) => Some(("callback", t.span().start, t.get_ref())),
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
    let (key, offset, _) = raw_table(s)?;
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
        Err(all) => {
            for (sub, message) in all {
                let sub = if sub.is_empty() { key.to_string() } else { sub };
                let field = format!("{field}.{sub}");
                let offset = c.place(&field).unwrap_or(offset);
                c.at_offset(offset, field, message);
            }
            None
        }
    }
}

/// Parses a step's `webhook`/`callback` table and its `expect` (status codes only).
/// Every problem is returned.
fn parse(s: &RawStep, payloads: &[String]) -> Result<(WebhookStepSpec, Vec<u16>), Vec<Bad>> {
    let Some((key, _, t)) = raw_table(s) else {
        return Err(vec![bad("", "not a webhook step")]);
    };
    if s.http.is_some() || (s.webhook.is_some() && s.callback.is_some()) {
        return Err(vec![bad(
            key,
            "a step is one of http, webhook or callback, not several",
        )]);
    }
    let status = expect(s);
    let under = |prefix: &str, all: Vec<Bad>| -> Vec<Bad> {
        all.into_iter()
            .map(|(f, m)| (format!("{prefix}.{f}"), m))
            .collect()
    };
    let spec = match key {
        "webhook" => delivery(t, payloads)
            .map(|d| WebhookStepSpec::Delivery(Box::new(d)))
            .map_err(|all| under("webhook", all)),
        _ => callback(t, payloads)
            .map(WebhookStepSpec::Callback)
            .map_err(|all| under("callback", all)),
    };
    match (spec, status) {
        (Ok(spec), Ok(status)) => Ok((spec, status)),
        (Ok(_), Err(e)) => Err(vec![e]),
        (Err(all), Ok(_)) => Err(all),
        (Err(mut all), Err(e)) => {
            all.insert(0, e);
            Err(all)
        }
    }
}

/// The step's `expect`: status codes only.
fn expect(s: &RawStep) -> Result<Vec<u16>, Bad> {
    Ok(match &s.expect {
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
    })
}
