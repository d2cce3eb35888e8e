//! Which arm a workload is, decided by the keys its file uses, and that arm's checks.
//!
//! A `[workload.ws]` table makes a WebSocket workload. Otherwise every step names its own
//! protocol by its key (`http`, or `webhook`/`callback`): each step is checked by its
//! protocol's slice, and a workload whose steps name two protocols is refused (one session
//! type per workload). A new step protocol adds a variant to `StepKind` and `AnyStep`, its
//! key to `StepKind::of`, and its arms to `StepKind::check`, `StepKind::workload` and
//! `AnyStep::kind` (the compiler lists each).

use super::{http, pg, redis, webhook, ws, ProtocolSpec};
use crate::raw::{RawStep, RawWorkload};
use loadgen_grammar::check::{Checker, S};
use std::collections::HashSet;
use std::time::Duration;

/// The protocol a step's key names: one variant per step protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StepKind {
    Http,
    Webhook,
    Redis,
    Pg,
}

/// A checked step of any step protocol.
enum AnyStep {
    Http(Box<http::StepSpec>),
    Webhook(webhook::WebhookStep),
    Redis(redis::RedisStepSpec),
    Pg(pg::PgStepSpec),
}

impl StepKind {
    /// The step's protocol, from the key it uses (`webhook`/`callback`, else `http`; a step
    /// with none is reported by the HTTP slice as missing its `http`).
    fn of(s: &RawStep) -> StepKind {
        if webhook::validate::raw_table(s).is_some() {
            StepKind::Webhook
        } else if s.redis.is_some() {
            StepKind::Redis
        } else if pg::validate::is_sql(s) {
            StepKind::Pg
        } else {
            StepKind::Http
        }
    }

    /// Step `s` checked by this protocol's slice.
    fn check(
        self,
        c: &mut Checker<'_>,
        s: &RawStep,
        field: &str,
        payloads: &[String],
    ) -> Option<AnyStep> {
        let protocol = match self {
            StepKind::Http => "",
            StepKind::Webhook => "webhook",
            StepKind::Redis => "Redis",
            StepKind::Pg => "SQL",
        };
        if !protocol.is_empty() {
            http::flow::refuse(c, s, field, protocol);
        }
        match self {
            StepKind::Http => {
                http::validate::step(c, s, field, payloads).map(|s| AnyStep::Http(Box::new(s)))
            }
            StepKind::Webhook => {
                webhook::validate::step(c, s, field, payloads).map(AnyStep::Webhook)
            }
            StepKind::Redis => redis::validate::step(c, s, field).map(AnyStep::Redis),
            StepKind::Pg => pg::validate::step(c, s, field).map(AnyStep::Pg),
        }
    }

    /// The workload of these checked steps (all of this kind); a protocol with
    /// workload-wide settings (`[workload.redis]`) reads them from `w`, reporting under
    /// `field` (`workload[0]`). `None` when a problem was reported.
    fn workload(
        self,
        c: &mut Checker<'_>,
        w: &RawWorkload,
        field: &str,
        steps: Vec<AnyStep>,
    ) -> Option<ProtocolSpec> {
        Some(match self {
            StepKind::Http => ProtocolSpec::Http(http::HttpWorkload {
                steps: steps
                    .into_iter()
                    .filter_map(|s| match s {
                        AnyStep::Http(s) => Some(*s),
                        _ => None,
                    })
                    .collect(),
            }),
            StepKind::Webhook => ProtocolSpec::Webhook(webhook::WebhookWorkload {
                steps: steps
                    .into_iter()
                    .filter_map(|s| match s {
                        AnyStep::Webhook(s) => Some(s),
                        _ => None,
                    })
                    .collect(),
            }),
            StepKind::Redis => {
                let steps = steps
                    .into_iter()
                    .filter_map(|s| match s {
                        AnyStep::Redis(s) => Some(s),
                        _ => None,
                    })
                    .collect();
                let Some(raw) = &w.redis else {
                    c.at(
                        &w.name,
                        format!("{field}.redis"),
                        "redis steps need [workload.redis] with url = \"redis://host:6379\"",
                    );
                    return None;
                };
                let spec = redis::validate::workload(c, raw, &format!("{field}.redis"), steps)?;
                ProtocolSpec::Redis(Box::new(spec))
            }
            StepKind::Pg => {
                let steps = steps
                    .into_iter()
                    .filter_map(|s| match s {
                        AnyStep::Pg(s) => Some(s),
                        _ => None,
                    })
                    .collect();
                let pg = pg::validate::workload(c, w.postgres.as_ref(), &w.name, field, steps)?;
                ProtocolSpec::Postgres(Box::new(pg))
            }
        })
    }
}

impl AnyStep {
    fn kind(&self) -> StepKind {
        match self {
            AnyStep::Http(_) => StepKind::Http,
            AnyStep::Webhook(_) => StepKind::Webhook,
            AnyStep::Redis(_) => StepKind::Redis,
            AnyStep::Pg(_) => StepKind::Pg,
        }
    }
}

/// A workload's protocol as checked, and its `new_connection_per_iteration`.
pub struct Checked {
    /// `None` when a problem was reported.
    pub protocol: Option<ProtocolSpec>,
    /// Every iteration opens its own connection (HTTP only).
    pub new_connection_per_iteration: bool,
}

/// Checks the protocol part of workload `w` (`workload[i]`): its steps or its
/// `[workload.ws]`. `schedule` is the workload's schedule length when it is valid.
pub fn workload(
    c: &mut Checker<'_>,
    w: &RawWorkload,
    i: usize,
    payloads: &[String],
    schedule: Option<Duration>,
) -> Checked {
    let f = |name: &str| format!("workload[{i}].{name}");
    let ws = w.ws.as_ref().and_then(|raw| {
        let spec = ws::validate::validate(c, raw, &f("ws"))?;
        if let Some(schedule) = schedule {
            ws::validate::check_hold(c, raw, &spec, schedule, &f("ws.hold"));
        }
        Some(spec)
    });
    if let (Some(_), Some(step)) = (&w.ws, w.step.first()) {
        c.at(
            step,
            f("step"),
            "a ws workload has no [[workload.step]] (its script is in [workload.ws])",
        );
    }
    if w.step.is_empty() && w.ws.is_none() {
        c.at(
            &w.name,
            f("step"),
            "a workload needs at least one [[workload.step]] (or a [workload.ws] table)",
        );
    }
    let steps = steps(c, &w.step, i, payloads);
    let mut kinds: Vec<StepKind> = steps.iter().map(AnyStep::kind).collect();
    kinds.sort_by_key(|k| *k as u8);
    kinds.dedup();
    if kinds.len() > 1 {
        c.at(
            &w.name,
            f("step"),
            "a workload's steps are all http steps, all webhook/callback steps, all redis steps or all sql/transaction steps; put them in separate workloads",
        );
    }
    let sql_steps = w.step.iter().any(|s| pg::validate::is_sql(s.get_ref()));
    if let (Some(p), false) = (&w.postgres, sql_steps) {
        c.at(
            p,
            f("postgres"),
            "[workload.postgres] is for workloads of sql / transaction steps",
        );
    }
    if let Some(r) = &w.redis {
        if kinds.iter().any(|k| *k != StepKind::Redis) || w.ws.is_some() {
            c.at(
                r,
                f("redis"),
                "[workload.redis] goes with redis = {…} steps only",
            );
        }
        // The Redis arm checks the table when it builds the workload; otherwise its
        // problems are still reported, all at once.
        if kinds != [StepKind::Redis] || w.ws.is_some() {
            redis::validate::workload(c, r, &f("redis"), Vec::new());
        }
    }
    let new_connection_per_iteration = match &w.new_connection_per_iteration {
        Some(v) if *v.get_ref() && (ws.is_some() || kinds.iter().any(|k| *k != StepKind::Http)) => {
            c.at(
                v,
                f("new_connection_per_iteration"),
                "applies to HTTP workloads only (a WebSocket VU holds its connection; webhook deliveries manage theirs)",
            );
            false
        }
        Some(v) => *v.get_ref(),
        None => false,
    };
    let protocol = match (ws, kinds.as_slice()) {
        (_, [_, _, ..]) => None,
        (Some(ws), _) => Some(ProtocolSpec::WebSocket(Box::new(ws))),
        (None, [kind]) => kind.workload(c, w, &format!("workload[{i}]"), steps),
        // No step checked out (each reported) or, with a `[workload.ws]`, its own problem.
        (None, []) => None,
    };
    Checked {
        protocol,
        new_connection_per_iteration,
    }
}

/// Every step checked by the slice its key names; names labelled and unique.
fn steps(c: &mut Checker<'_>, raw: &[S<RawStep>], i: usize, payloads: &[String]) -> Vec<AnyStep> {
    let mut names = HashSet::new();
    let mut out = Vec::new();
    for (j, s) in raw.iter().enumerate() {
        let s = s.get_ref();
        let field = format!("workload[{i}].step[{j}]");
        c.label(&s.name, &format!("{field}.name"));
        if !names.insert(s.name.get_ref().clone()) {
            c.at(
                &s.name,
                format!("{field}.name"),
                format!("duplicate step name `{}`", s.name.get_ref()),
            );
        }
        out.extend(StepKind::of(s).check(c, s, &field, payloads));
    }
    out
}
