//! How an HTTP step runs inside its iteration, checked: `think` (a pause before it),
//! `when` (a capture that must hold a value), `probability`, `repeat_for` (a heartbeat for
//! a session's length) and `follow_redirects`. That `when` names an earlier step's capture is
//! `journey`'s check (the one namespace); the runtime side is `loadgen_http`'s.

use super::spec::{HttpWorkload, StepFlow};
use crate::raw::RawStep;
use loadgen_grammar::check::{Checker, S};

/// The most redirects a step may follow (k6 follows 10 by default).
pub(crate) const MAX_REDIRECTS: u64 = 20;

/// The step's flow fields, every problem under `field` (`workload[0].step[1]`).
pub(crate) fn flow(c: &mut Checker<'_>, s: &RawStep, field: &str) -> StepFlow {
    let think = s
        .think
        .as_ref()
        .and_then(|t| loadgen_schedule::think::think_time(c, t, &format!("{field}.think")))
        .unwrap_or_default();
    let repeat_for = s
        .repeat_for
        .as_ref()
        .and_then(|t| loadgen_schedule::think::think_time(c, t, &format!("{field}.repeat_for")));
    if let (Some(r), loadgen_engine::ThinkTime::None) = (&s.repeat_for, think) {
        c.at(
            r,
            format!("{field}.repeat_for"),
            "a repeated step needs think = \"…\", its pause before each send (a heartbeat every 30 s: think = \"30s\")",
        );
    }
    let probability = s.probability.as_ref().and_then(|p| {
        let v = *p.get_ref();
        if v > 0.0 && v <= 1.0 {
            Some(v)
        } else {
            c.at(
                p,
                format!("{field}.probability"),
                format!("{v} is not a probability in (0, 1]"),
            );
            None
        }
    });
    let when = s.when.as_ref().map(|w| w.get_ref().clone());
    let follow_redirects = s
        .follow_redirects
        .as_ref()
        .and_then(|n| redirects(c, n, &format!("{field}.follow_redirects")));
    StepFlow {
        think,
        when,
        probability,
        repeat_for,
        follow_redirects,
    }
}

/// A redirect limit: 0 (none followed) up to [`MAX_REDIRECTS`].
pub fn redirects(c: &mut Checker<'_>, n: &S<u64>, field: &str) -> Option<u8> {
    match u8::try_from(*n.get_ref()) {
        Ok(v) if u64::from(v) <= MAX_REDIRECTS => Some(v),
        _ => {
            c.at(
                n,
                field,
                format!("follow at most {MAX_REDIRECTS} redirects (0: none)"),
            );
            None
        }
    }
}

/// Steps of other protocols have no flow fields: each one given is reported.
pub(crate) fn refuse(c: &mut Checker<'_>, s: &RawStep, field: &str, protocol: &str) {
    let why =
        |name: &str| format!("{name} is for HTTP steps (a {protocol} step runs as it is written)");
    if let Some(v) = &s.think {
        c.at(v, format!("{field}.think"), why("think"));
    }
    if let Some(v) = &s.when {
        c.at(v, format!("{field}.when"), why("when"));
    }
    if let Some(v) = &s.probability {
        c.at(v, format!("{field}.probability"), why("probability"));
    }
    if let Some(v) = &s.repeat_for {
        c.at(v, format!("{field}.repeat_for"), why("repeat_for"));
    }
    if let Some(v) = &s.follow_redirects {
        c.at(
            v,
            format!("{field}.follow_redirects"),
            why("follow_redirects"),
        );
    }
}

/// The pauses and session lengths on a clock `time_scale` times faster.
pub fn scale(w: &mut HttpWorkload, time_scale: f64) {
    for s in &mut w.steps {
        s.flow.think = s.flow.think.scaled(time_scale);
        s.flow.repeat_for = s.flow.repeat_for.map(|r| r.scaled(time_scale));
    }
}
