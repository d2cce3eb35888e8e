//! An `http = {…}` step checked: method, path, body, `expect`, captures and scope, every
//! problem reported under the step's field (`workload[0].step[1].http.method`).

use super::raw::{RawExpect, RawHttpStep};
use super::spec::{BodySpec, ExpectSpec, HttpStepSpec, StepSpec};
use crate::raw::RawStep;
use loadgen_grammar::check::{Checker, S};

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// The HTTP step `s`, every problem reported under `field` (`workload[0].step[1]`).
pub fn step(
    c: &mut Checker<'_>,
    s: &RawStep,
    field: &str,
    payloads: &[String],
) -> Option<StepSpec> {
    let Some(http) = &s.http else {
        c.at(
            &s.name,
            format!("{field}.http"),
            "a step needs http = { method = \"GET\", path = \"/\" }",
        );
        return None;
    };
    let h = http.get_ref();
    let method = method(c, h, field);
    if !h.path.get_ref().starts_with('/') {
        c.at(
            &h.path,
            format!("{field}.http.path"),
            "a path starts with `/`",
        );
    }
    let body = body(c, http, field, payloads);
    let expect = match &s.expect {
        Some(e) => expect(c, e.get_ref(), field),
        None => ExpectSpec::default(),
    };
    Some(StepSpec {
        name: s.name.get_ref().clone(),
        http: HttpStepSpec {
            method,
            path: h.path.get_ref().clone(),
            headers: h
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.get_ref().clone()))
                .collect(),
            body,
        },
        expect,
        captures: super::capture::captures(c, s, field),
        once_per_vu: super::capture::once_per_vu(c, s, field),
        flow: super::flow::flow(c, s, field),
    })
}

/// The method, upper case (`GET` when none is given).
fn method(c: &mut Checker<'_>, h: &RawHttpStep, field: &str) -> String {
    let Some(m) = &h.method else {
        return "GET".to_string();
    };
    let upper = m.get_ref().to_ascii_uppercase();
    if !METHODS.contains(&upper.as_str()) {
        // Keep going: the rest of the step is still checked and reported.
        let msg = format!(
            "unknown method `{}` (use one of {})",
            m.get_ref(),
            METHODS.join(", ")
        );
        c.at(m, format!("{field}.http.method"), msg);
    }
    upper
}

/// `json = {…}`, `json = "@PAYLOAD"` or `body = "…"`.
fn body(
    c: &mut Checker<'_>,
    http: &S<RawHttpStep>,
    field: &str,
    payloads: &[String],
) -> Option<BodySpec> {
    let h = http.get_ref();
    match (&h.json, &h.body) {
        (Some(_), Some(_)) => {
            c.at(
                http,
                format!("{field}.http.body"),
                "give either json or body, not both",
            );
            None
        }
        (Some(toml::Value::String(r)), None) if r.starts_with('@') => {
            match payloads.iter().position(|p| *p == r[1..]) {
                Some(ix) => Some(BodySpec::Payload(ix)),
                None => {
                    let known = if payloads.is_empty() {
                        "none defined".to_string()
                    } else {
                        payloads.join(", ")
                    };
                    c.at(
                        http,
                        format!("{field}.http.json"),
                        format!("no [payload.{}] (known: {known})", &r[1..]),
                    );
                    None
                }
            }
        }
        (Some(j), None) => Some(BodySpec::Json(
            serde_json::to_value(j).unwrap_or(serde_json::Value::Null),
        )),
        (None, Some(b)) => Some(BodySpec::Text(b.clone())),
        (None, None) => None,
    }
}

/// `expect = {…}`: statuses in 100..599, body and JSON checks.
fn expect(c: &mut Checker<'_>, e: &RawExpect, field: &str) -> ExpectSpec {
    let redis_only = "reply, nil and int check Redis replies (an HTTP step checks status, body_contains and json)";
    if let Some(v) = &e.reply {
        c.at(v, format!("{field}.expect.reply"), redis_only);
    }
    if let Some(v) = &e.nil {
        c.at(v, format!("{field}.expect.nil"), redis_only);
    }
    if let Some(v) = &e.int {
        c.at(v, format!("{field}.expect.int"), redis_only);
    }
    for (v, name) in [(&e.rows, "rows"), (&e.min_rows, "min_rows")] {
        if let Some(v) = v {
            c.at(
                v,
                format!("{field}.expect.{name}"),
                "row counts are checked on sql steps",
            );
        }
    }
    let codes = |c: &mut Checker<'_>, v: &Option<S<Vec<S<u16>>>>, name: &str| -> Vec<u16> {
        let Some(v) = v else { return Vec::new() };
        v.get_ref()
            .iter()
            .filter(|code| {
                let ok = (100..=599).contains(code.get_ref());
                if !ok {
                    c.at(
                        code,
                        format!("{field}.expect.{name}"),
                        format!("{} is not an HTTP status (100..599)", code.get_ref()),
                    );
                }
                ok
            })
            .map(|code| *code.get_ref())
            .collect()
    };
    ExpectSpec {
        status: codes(c, &e.status, "status"),
        expected_failure_status: codes(c, &e.expected_failure_status, "expected_failure_status"),
        body_contains: e.body_contains.clone(),
        json: e
            .json
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
                )
            })
            .collect(),
    }
}
