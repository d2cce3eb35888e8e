//! `[[workload.step]]`: the request and what its answer must look like.

use super::fields::{self, or_list, required};
use crate::error::Problems;
use crate::model::{BodySpec, ExpectSpec, HttpStepSpec, StepSpec};
use crate::raw::{RawExpect, RawHttpStep, RawStep, RawWorkload, S};
use std::ops::Range;

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Every step of a workload; names unique within it.
pub(super) fn steps(
    p: &mut Problems,
    raw: &RawWorkload,
    span: Range<usize>,
    path: &str,
) -> Option<Vec<StepSpec>> {
    if raw.step.is_empty() {
        p.at(
            span,
            format!("{path}.step"),
            "missing: a workload needs at least one [[workload.step]]",
        );
        return None;
    }
    let mut seen: Vec<(&str, usize)> = Vec::new();
    let mut out = Some(Vec::new());
    for (j, s) in raw.step.iter().enumerate() {
        let spath = format!("{path}.step[{j}]");
        if let Some(n) = &s.get_ref().name {
            match seen.iter().find(|(m, _)| m == n.get_ref()) {
                Some((_, first)) => p.at(
                    n.span(),
                    format!("{spath}.name"),
                    format!(
                        "duplicate step name {:?} (also step[{first}] of this workload)",
                        n.get_ref()
                    ),
                ),
                None => seen.push((n.get_ref(), j)),
            }
        }
        let st = step(p, s, &spath);
        out = match (out, st) {
            (Some(mut v), Some(s)) => {
                v.push(s);
                Some(v)
            }
            _ => None,
        };
    }
    out
}

fn step(p: &mut Problems, s: &S<RawStep>, path: &str) -> Option<StepSpec> {
    let raw = s.get_ref();
    let f = |field: &str| format!("{path}.{field}");
    let name = required(
        p,
        &raw.name,
        s.span(),
        &f("name"),
        "every step needs a name",
    )
    .and_then(|v| fields::name(p, v, &f("name")));
    let http = required(
        p,
        &raw.http,
        s.span(),
        &f("http"),
        "write http = { method = \"GET\", path = \"/...\" }",
    )
    .and_then(|h| http(p, h, &f("http")));
    let expect = match &raw.expect {
        Some(e) => expect(p, e, &f("expect")),
        None => Some(ExpectSpec::default()),
    };
    Some(StepSpec {
        name: name?,
        http: http?,
        expect: expect?,
    })
}

fn http(p: &mut Problems, h: &S<RawHttpStep>, path: &str) -> Option<HttpStepSpec> {
    let raw = h.get_ref();
    let f = |field: &str| format!("{path}.{field}");
    let method = required(
        p,
        &raw.method,
        h.span(),
        &f("method"),
        "write method = \"GET\" (or POST, ...)",
    )
    .and_then(|m| {
        let upper = m.get_ref().to_ascii_uppercase();
        if METHODS.contains(&upper.as_str()) {
            Some(upper)
        } else {
            p.at(
                m.span(),
                f("method"),
                format!(
                    "unknown method {:?} (use {})",
                    m.get_ref(),
                    or_list(&METHODS)
                ),
            );
            None
        }
    });
    let req_path =
        required(p, &raw.path, h.span(), &f("path"), "write path = \"/...\"").and_then(|v| {
            let s = v.get_ref();
            if !s.starts_with('/') {
                p.at(
                    v.span(),
                    f("path"),
                    format!("{s:?} must start with \"/\" (the target URL comes first)"),
                );
                None
            } else if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
                p.at(
                    v.span(),
                    f("path"),
                    "must not contain spaces or control characters (write %20)",
                );
                None
            } else {
                Some(s.clone())
            }
        });
    let headers = raw
        .headers
        .as_ref()
        .map(|hs| fields::headers(p, hs.get_ref(), &f("headers")))
        .unwrap_or_default();
    let body = match (&raw.json, &raw.body) {
        (Some(_), Some(b)) => {
            p.at(
                b.span(),
                f("body"),
                "`json` and `body` exclude each other: give one",
            );
            None
        }
        (Some(j), None) => Some(Some(BodySpec::Json(j.get_ref().clone()))),
        (None, Some(b)) => Some(Some(BodySpec::Text(b.get_ref().clone()))),
        (None, None) => Some(None),
    };
    Some(HttpStepSpec {
        method: method?,
        path: req_path?,
        headers,
        body: body?,
    })
}

fn expect(p: &mut Problems, e: &S<RawExpect>, path: &str) -> Option<ExpectSpec> {
    let raw = e.get_ref();
    let status = statuses(p, &raw.status, &format!("{path}.status"));
    let failure = statuses(
        p,
        &raw.expected_failure_status,
        &format!("{path}.expected_failure_status"),
    );
    let (status, failure) = (status?, failure?);
    if let Some(both) = status.iter().find(|s| failure.contains(s)) {
        let span = raw
            .expected_failure_status
            .as_ref()
            .map_or(e.span(), S::span);
        p.at(
            span,
            format!("{path}.expected_failure_status"),
            format!(
                "{both} is also in `status`; a status is either a success or an expected failure"
            ),
        );
        return None;
    }
    let json = raw
        .json
        .as_ref()
        .map(|j| {
            j.get_ref()
                .0
                .iter()
                .map(|(k, v)| (k.get_ref().clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    Some(ExpectSpec {
        status,
        expected_failure_status: failure,
        body_contains: raw.body_contains.as_ref().map(|b| b.get_ref().clone()),
        json,
    })
}

fn statuses(p: &mut Problems, v: &Option<S<Vec<S<i64>>>>, path: &str) -> Option<Vec<u16>> {
    let Some(list) = v else {
        return Some(Vec::new());
    };
    let mut ok = true;
    let mut out = Vec::new();
    for (i, s) in list.get_ref().iter().enumerate() {
        match u16::try_from(*s.get_ref()) {
            Ok(code) if (100..=599).contains(&code) => out.push(code),
            _ => {
                ok = false;
                p.at(
                    s.span(),
                    format!("{path}[{i}]"),
                    format!("{} is not an HTTP status (100 to 599)", s.get_ref()),
                );
            }
        }
    }
    ok.then_some(out)
}
