//! One `[[workload]]`: the model's own fields, checked against the model it names.

use super::fields::{self, choice, count, duration_or, required};
use super::schedule::{schedule_duration, stages, think_time};
use super::step;
use crate::error::Problems;
use crate::model::{ModelSpec, RateSpec, WorkloadSpec};
use crate::raw::{RawWorkload, S};
use crate::raw_de::RawStageTarget;
use crate::units::parse_rate;
use loadgen_engine::{Spacing, ThinkTime, VuStages};
use std::ops::Range;
use std::time::Duration;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Open,
    Closed,
}

/// Where a workload's fields live, for messages.
pub(super) struct At<'a> {
    pub path: &'a str,
    pub span: Range<usize>,
}

impl At<'_> {
    pub fn f(&self, field: &str) -> String {
        format!("{}.{field}", self.path)
    }
}

/// `default_duration` is the top-level duration: `Some(None)` when absent, `None` when it
/// was given but invalid (already reported; workloads relying on it stay quiet).
pub(super) fn workload(
    p: &mut Problems,
    w: &S<RawWorkload>,
    path: &str,
    default_duration: Option<Option<Duration>>,
) -> Option<WorkloadSpec> {
    let raw = w.get_ref();
    let at = At {
        path,
        span: w.span(),
    };
    let name = required(
        p,
        &raw.name,
        at.span.clone(),
        &at.f("name"),
        "every workload needs a name",
    )
    .and_then(|v| fields::name(p, v, &at.f("name")));
    let kind = required(
        p,
        &raw.model,
        at.span.clone(),
        &at.f("model"),
        "write model = \"open\" (arrival rate) or model = \"closed\" (concurrency)",
    )
    .and_then(|v| {
        choice(
            p,
            v,
            &at.f("model"),
            "model",
            &[("open", Kind::Open), ("closed", Kind::Closed)],
        )
    });
    let start = duration_or(p, &raw.start, &at.f("start"), Duration::ZERO);
    let model = match kind {
        Some(k) => {
            foreign_fields(p, raw, &at, k);
            match k {
                Kind::Open => open(p, raw, &at, default_duration),
                Kind::Closed => closed(p, raw, &at, default_duration),
            }
        }
        None => None,
    };
    let steps = step::steps(p, raw, at.span.clone(), path);
    Some(WorkloadSpec {
        name: name?,
        start: start?,
        model: model?,
        steps: steps?,
    })
}

/// Fields of the other model are errors naming the field.
fn foreign_fields(p: &mut Problems, raw: &RawWorkload, at: &At, kind: Kind) {
    let (list, this, other, hint) = match kind {
        Kind::Open => (
            vec![
                ("vus", raw.vus.as_ref().map(S::span)),
                ("start_vus", raw.start_vus.as_ref().map(S::span)),
                ("think_time", raw.think_time.as_ref().map(S::span)),
                ("iterations", raw.iterations.as_ref().map(S::span)),
            ],
            "open",
            "closed",
            "an open workload sets its arrival rate with `rate` or `stages`",
        ),
        Kind::Closed => (
            vec![
                ("rate", raw.rate.as_ref().map(S::span)),
                ("start_rate", raw.start_rate.as_ref().map(S::span)),
                ("arrivals", raw.arrivals.as_ref().map(S::span)),
                ("max_vus", raw.max_vus.as_ref().map(S::span)),
                (
                    "pre_allocated_vus",
                    raw.pre_allocated_vus.as_ref().map(S::span),
                ),
            ],
            "closed",
            "open",
            "a closed workload sets its VUs with `vus` or `stages`",
        ),
    };
    for (field, s) in list {
        if let Some(s) = s {
            p.at(
                s,
                at.f(field),
                format!(
                    "`{field}` applies to {other} workloads, not to model = \"{this}\" ({hint})"
                ),
            );
        }
    }
}

fn open(
    p: &mut Problems,
    raw: &RawWorkload,
    at: &At,
    default_duration: Option<Option<Duration>>,
) -> Option<ModelSpec> {
    let rate = match (&raw.rate, &raw.stages) {
        (Some(r), Some(_)) => {
            p.at(
                r.span(),
                at.f("rate"),
                "`rate` and `stages` exclude each other: give one constant rate, or stages",
            );
            None
        }
        (Some(r), None) => {
            only_with_stages(p, raw.start_rate.as_ref().map(S::span), at, "start_rate");
            fields::rate(p, r, &at.f("rate")).map(RateSpec::Constant)
        }
        (None, Some(st)) => {
            let start = match &raw.start_rate {
                Some(v) => fields::rate(p, v, &at.f("start_rate")),
                None => Some(0.0),
            };
            let stages = stages(p, st, at, |p, t, path| match t.get_ref() {
                RawStageTarget::Text(s) => parse_rate(s)
                    .map_err(|e| p.at(t.span(), path, e.to_string()))
                    .ok(),
                _ => {
                    p.at(
                        t.span(),
                        path,
                        "an open workload's stage target is a rate such as \"100/s\"",
                    );
                    None
                }
            });
            stages
                .zip(start)
                .map(|(stages, start)| RateSpec::Stages { start, stages })
        }
        (None, None) => {
            p.at(
                at.span.clone(),
                at.f("rate"),
                "missing: an open workload needs `rate` (constant) or `stages` (ramping)",
            );
            None
        }
    };
    let duration = schedule_duration(p, raw, at, default_duration);
    let arrivals = match &raw.arrivals {
        Some(v) => choice(
            p,
            v,
            &at.f("arrivals"),
            "arrivals",
            &[("uniform", Spacing::Uniform), ("poisson", Spacing::Poisson)],
        ),
        None => Some(Spacing::Uniform),
    };
    let max_vus = required(
        p,
        &raw.max_vus,
        at.span.clone(),
        &at.f("max_vus"),
        "an open workload needs max_vus, the most VUs it may use at once",
    )
    .and_then(|v| count(p, v, &at.f("max_vus"), 1));
    let pre = match &raw.pre_allocated_vus {
        Some(v) => count(p, v, &at.f("pre_allocated_vus"), 0).and_then(|n| match max_vus {
            Some(m) if n > m => {
                p.at(
                    v.span(),
                    at.f("pre_allocated_vus"),
                    format!("{n} is more than max_vus ({m})"),
                );
                None
            }
            _ => Some(n),
        }),
        None => max_vus.map(|m| m.min(10)),
    };
    let (rate, duration) = (rate?, duration?);
    let duration = match &rate {
        RateSpec::Stages { stages, .. } => stages.iter().map(|s| s.0).sum(),
        RateSpec::Constant(_) => duration,
    };
    Some(ModelSpec::Open {
        rate,
        duration,
        arrivals: arrivals?,
        max_vus: max_vus?,
        pre_allocated_vus: pre?,
    })
}

fn closed(
    p: &mut Problems,
    raw: &RawWorkload,
    at: &At,
    default_duration: Option<Option<Duration>>,
) -> Option<ModelSpec> {
    let duration = schedule_duration(p, raw, at, default_duration);
    let stages = match (&raw.vus, &raw.stages) {
        (Some(v), Some(_)) => {
            p.at(
                v.span(),
                at.f("vus"),
                "`vus` and `stages` exclude each other: give a constant number of VUs, or stages",
            );
            None
        }
        (Some(v), None) => {
            only_with_stages(p, raw.start_vus.as_ref().map(S::span), at, "start_vus");
            let vus = count(p, v, &at.f("vus"), 1);
            vus.zip(duration).map(|(n, d)| VuStages::constant(n, d))
        }
        (None, Some(st)) => {
            let start = match &raw.start_vus {
                Some(v) => count(p, v, &at.f("start_vus"), 0),
                None => Some(0),
            };
            let stages = stages(p, st, at, |p, t, path| match t.get_ref() {
                RawStageTarget::Int(n) if *n >= 0 => Some(*n as u64),
                RawStageTarget::Int(n) => {
                    p.at(t.span(), path, format!("must be at least 0, not {n}"));
                    None
                }
                _ => {
                    p.at(
                        t.span(),
                        path,
                        "a closed workload's stage target is a whole number of VUs, such as 20",
                    );
                    None
                }
            });
            let v = stages
                .zip(start)
                .map(|(stages, start)| VuStages { start, stages })?;
            if v.max_vus() == 0 {
                p.at(st.span(), at.f("stages"), "no stage ever has a VU");
                return None;
            }
            Some(v)
        }
        (None, None) => {
            p.at(
                at.span.clone(),
                at.f("vus"),
                "missing: a closed workload needs `vus` (constant) or `stages` (ramping)",
            );
            None
        }
    };
    let think = match &raw.think_time {
        Some(t) => think_time(p, t, &at.f("think_time")),
        None => Some(ThinkTime::None),
    };
    let iterations = match &raw.iterations {
        Some(v) => count(p, v, &at.f("iterations"), 1).map(Some),
        None => Some(None),
    };
    Some(ModelSpec::Closed {
        stages: stages?,
        think: think?,
        iterations: iterations?,
    })
}

fn only_with_stages(p: &mut Problems, span: Option<Range<usize>>, at: &At, field: &str) {
    if let Some(s) = span {
        p.at(
            s,
            at.f(field),
            format!("`{field}` only applies with `stages`"),
        );
    }
}
