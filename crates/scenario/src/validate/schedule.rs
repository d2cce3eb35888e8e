//! A workload's time: its duration, its stages, its think time.

use super::fields::{self, required};
use super::workload::At;
use crate::error::Problems;
use crate::raw::{RawStage, RawWorkload, S};
use crate::raw_de::{RawStageTarget, RawThink};
use crate::units::parse_duration;
use loadgen_engine::ThinkTime;
use std::ops::Range;
use std::time::Duration;

/// The workload's own duration or the default; with stages, `duration` is an error and the
/// returned value is a placeholder (the stages' sum is used instead).
pub(super) fn schedule_duration(
    p: &mut Problems,
    raw: &RawWorkload,
    at: &At,
    default: Option<Option<Duration>>,
) -> Option<Duration> {
    let path = at.f("duration");
    match (&raw.stages, &raw.duration) {
        (Some(_), Some(d)) => {
            p.at(
                d.span(),
                path,
                "`duration` does not apply with `stages`: the stages' durations add up to the workload's",
            );
            None
        }
        (Some(_), None) => Some(Duration::ZERO),
        (None, Some(d)) => fields::positive_duration_or(p, &Some(d.clone()), &path, Duration::ZERO),
        (None, None) => match default {
            Some(Some(d)) if !d.is_zero() => Some(d),
            None => None,
            Some(_) => {
                p.at(
                    at.span.clone(),
                    path,
                    "missing: set `duration` on the workload or at the top level",
                );
                None
            }
        },
    }
}

pub(super) fn stages<T>(
    p: &mut Problems,
    st: &S<Vec<S<RawStage>>>,
    at: &At,
    target: impl Fn(&mut Problems, &S<RawStageTarget>, &str) -> Option<T>,
) -> Option<Vec<(Duration, T)>> {
    let list = st.get_ref();
    if list.is_empty() {
        p.at(st.span(), at.f("stages"), "give at least one stage");
        return None;
    }
    let mut out = Some(Vec::new());
    for (k, s) in list.iter().enumerate() {
        let path = format!("{}.stages[{k}]", at.path);
        let d = required(
            p,
            &s.get_ref().duration,
            s.span(),
            &format!("{path}.duration"),
            "every stage needs a duration",
        )
        .and_then(|v| fields::duration(p, v, &format!("{path}.duration")));
        let t = required(
            p,
            &s.get_ref().target,
            s.span(),
            &format!("{path}.target"),
            "every stage needs a target",
        )
        .and_then(|v| target(p, v, &format!("{path}.target")));
        out = match (out, d, t) {
            (Some(mut v), Some(d), Some(t)) => {
                v.push((d, t));
                Some(v)
            }
            _ => None,
        };
    }
    let out = out?;
    if out.iter().all(|s| s.0.is_zero()) {
        p.at(st.span(), at.f("stages"), "the stages last 0s in all");
        return None;
    }
    Some(out)
}

pub(super) fn think_time(p: &mut Problems, t: &S<RawThink>, path: &str) -> Option<ThinkTime> {
    let err = |p: &mut Problems, span: Range<usize>, path: &str, e: crate::units::UnitError| {
        p.at(span, path, e.to_string());
    };
    match t.get_ref() {
        RawThink::Fixed(s) => match parse_duration(s) {
            Ok(d) if d.is_zero() => Some(ThinkTime::None),
            Ok(d) => Some(ThinkTime::Fixed(d)),
            Err(e) => {
                err(p, t.span(), path, e);
                None
            }
        },
        RawThink::Table(tab) => match (&tab.uniform, &tab.exponential) {
            (Some(u), None) => {
                let upath = format!("{path}.uniform");
                let [a, b] = u.get_ref().as_slice() else {
                    p.at(
                        u.span(),
                        upath,
                        "write uniform = [\"MIN\", \"MAX\"], such as [\"500ms\", \"2s\"]",
                    );
                    return None;
                };
                let a = fields::duration(p, a, &format!("{upath}[0]"));
                let b = fields::duration(p, b, &format!("{upath}[1]"));
                let (a, b) = (a?, b?);
                if a > b {
                    p.at(u.span(), upath, "the first bound is the smaller one");
                    return None;
                }
                Some(ThinkTime::Uniform(a, b))
            }
            (None, Some(e)) => {
                fields::duration(p, e, &format!("{path}.exponential")).map(ThinkTime::Exponential)
            }
            _ => {
                p.at(
                    t.span(),
                    path,
                    "give exactly one of { uniform = [\"MIN\", \"MAX\"] } or { exponential = \"MEAN\" }",
                );
                None
            }
        },
    }
}
