//! An open (arrival-rate) workload's schedule checked: its rate or stages (a replayed trace
//! read relative to the scenario's folder), its arrivals and its VU pool.

use crate::check::Checker;
use crate::pattern::Pattern;
use crate::raw::RawWorkload;
use crate::schedule::ModelSpec;
use crate::units::parse_rate;
use loadgen_engine::Spacing;
use std::path::Path;
use std::time::Duration;

/// Most arrivals per second one workload may plan. One process serves about 10^5 requests/s
/// per core, so a plan past this is a typo (`1e12/s`), and honouring it would only grow the
/// backlog until memory runs out.
pub const MAX_ARRIVAL_RATE: f64 = 10_000_000.0;

/// An open workload must send something, and no more than [`MAX_ARRIVAL_RATE`].
fn check_peak_rate(c: &mut Checker<'_>, w: &RawWorkload, i: usize, peak: f64) {
    let field = if w.rate.is_some() { "rate" } else { "stages" };
    let located = |c: &mut Checker<'_>, msg: String| match (&w.rate, &w.stages) {
        (Some(r), _) => c.at(r, format!("workload[{i}].{field}"), msg),
        (None, Some(s)) => c.at(s, format!("workload[{i}].{field}"), msg),
        (None, None) => c.at(&w.model, format!("workload[{i}].{field}"), msg),
    };
    if peak <= 0.0 {
        located(
            c,
            "the rate is 0/s for the whole run, so nothing would be sent".to_string(),
        );
    } else if peak > MAX_ARRIVAL_RATE {
        located(
            c,
            format!(
                "peaks at {peak:.0} arrivals/s, above the ceiling of {MAX_ARRIVAL_RATE:.0}/s per workload \
                 (about {:.0} cores at 100,000 requests/s each); split it over machines with --segment or lower it",
                (peak / 100_000.0).ceil()
            ),
        );
    }
}

/// The schedule of open workload `w` (`workload[i]`), `duration` long unless its stages say.
pub(super) fn open(
    c: &mut Checker<'_>,
    w: &RawWorkload,
    i: usize,
    duration: Duration,
    base_dir: &Path,
) -> Option<ModelSpec> {
    let f = |name: &str| format!("workload[{i}].{name}");
    c.forbid(&w.vus, f("vus"), "open", "use rate and max_vus");
    c.forbid(&w.start_vus, f("start_vus"), "open", "use start_rate");
    c.forbid(
        &w.think_time,
        f("think_time"),
        "open",
        "arrivals are scheduled by rate",
    );
    c.forbid(
        &w.iterations,
        f("iterations"),
        "open",
        "the rate and duration decide the count",
    );
    let rate = rate(c, w, i, base_dir)?;
    // Stages and a replayed trace say how long they last; a workload `duration` cuts them.
    let duration = match (&rate, rate.replay()) {
        (Pattern::Stages { stages, .. }, _) if w.duration.is_none() => {
            Duration::from_secs_f64(stages.iter().map(|s| s.0).sum())
        }
        (_, Some(r)) if w.duration.is_none() => Duration::from_secs_f64(r.played_length()),
        _ => duration,
    };
    let rate = match &w.scale {
        Some(k) if !(k.get_ref().is_finite() && *k.get_ref() >= 0.0) => {
            c.at(k, f("scale"), "must be a non-negative number");
            rate
        }
        Some(k) => Pattern::Scaled(*k.get_ref(), Box::new(rate)),
        None => rate,
    };
    let arrivals = match w.arrivals.as_ref().map(|a| (a, a.get_ref().as_str())) {
        None | Some((_, "uniform" | "constant")) => Spacing::Uniform,
        Some((_, "poisson")) => Spacing::Poisson,
        Some((a, other)) => {
            c.at(
                a,
                f("arrivals"),
                format!("unknown spacing `{other}` (use uniform or poisson)"),
            );
            Spacing::Uniform
        }
    };
    let peak = rate.peak(duration.as_secs_f64());
    check_peak_rate(c, w, i, peak);
    let pool = pool(c, w, i, peak)?;
    Some(ModelSpec::Open {
        rate,
        duration,
        arrivals,
        max_vus: pool.max_vus,
        pre_allocated_vus: pool.pre_allocated_vus,
        backlog: pool.backlog,
        vu_order: pool.vu_order,
    })
}

/// `rate` (a constant, ramp or traffic pattern) or `stages`, exactly one.
fn rate(c: &mut Checker<'_>, w: &RawWorkload, i: usize, base_dir: &Path) -> Option<Pattern> {
    let f = |name: &str| format!("workload[{i}].{name}");
    match (&w.rate, &w.stages) {
        (Some(r), None) => {
            c.forbid(
                &w.start_rate,
                f("start_rate"),
                "constant-rate",
                "start_rate goes with stages",
            );
            match crate::pattern::parse_in(r.get_ref(), base_dir) {
                Ok(p) => Some(p),
                Err(all) => {
                    for e in all {
                        let field = match e.field.as_str() {
                            "" => "rate".to_string(),
                            sub => format!("rate.{sub}"),
                        };
                        c.at_place(r, f(&field), e.problem);
                    }
                    None
                }
            }
        }
        (None, Some(_)) => stages(c, w, i),
        (Some(r), Some(_)) => {
            c.at(
                r,
                f("rate"),
                "give either rate (constant) or stages (ramping), not both",
            );
            None
        }
        (None, None) => {
            c.at(
                &w.model,
                f("rate"),
                "an open workload needs rate = \"N/s\" or stages",
            );
            None
        }
    }
}

/// `start_rate` and `stages = [{ duration, target = "N/s" }, …]`.
fn stages(c: &mut Checker<'_>, w: &RawWorkload, i: usize) -> Option<Pattern> {
    let f = |name: &str| format!("workload[{i}].{name}");
    let stages = w.stages.as_ref()?;
    let start = w
        .start_rate
        .as_ref()
        .map_or(Some(0.0), |r| c.rate(r, &f("start_rate")))?;
    let mut out = Vec::new();
    for (k, st) in stages.get_ref().iter().enumerate() {
        let st = st.get_ref();
        let d = c.duration(&st.duration, &f(&format!("stages[{k}].duration")));
        let t = match st.target.get_ref() {
            toml::Value::String(s) => parse_rate(s)
                .map_err(|m| c.at(&st.target, f(&format!("stages[{k}].target")), m))
                .ok(),
            _ => {
                c.at(
                    &st.target,
                    f(&format!("stages[{k}].target")),
                    "an open-model stage target is a rate such as \"100/s\"",
                );
                None
            }
        };
        out.push((d?, t?));
    }
    if out.is_empty() {
        c.at(stages, f("stages"), "needs at least one stage");
    }
    Some(Pattern::Stages {
        start,
        stages: out.into_iter().map(|(d, t)| (d.as_secs_f64(), t)).collect(),
    })
}

/// An open workload's VU pool.
struct Pool {
    max_vus: u64,
    pre_allocated_vus: u64,
    backlog: u64,
    vu_order: loadgen_engine::VuOrder,
}

/// `max_vus` (required), `pre_allocated_vus`, `backlog` and `vu_order`.
fn pool(c: &mut Checker<'_>, w: &RawWorkload, i: usize, peak: f64) -> Option<Pool> {
    let f = |name: &str| format!("workload[{i}].{name}");
    let Some(max_vus) = w.max_vus.as_ref() else {
        c.at(
            &w.model,
            f("max_vus"),
            "an open workload needs max_vus (the ceiling of its VU pool)",
        );
        return None;
    };
    if *max_vus.get_ref() == 0 {
        c.at(max_vus, f("max_vus"), "must be at least 1");
    }
    let pre = w
        .pre_allocated_vus
        .as_ref()
        .map_or((*max_vus.get_ref()).min(10), |p| *p.get_ref());
    if pre > *max_vus.get_ref() {
        if let Some(p) = &w.pre_allocated_vus {
            c.at(p, f("pre_allocated_vus"), "must not exceed max_vus");
        }
    }
    let backlog = w.backlog.as_ref().map_or_else(
        || default_backlog(*max_vus.get_ref(), peak),
        |b| *b.get_ref(),
    );
    let vu_order = match w.vu_order.as_ref().map(|o| (o, o.get_ref().as_str())) {
        None | Some((_, "fifo")) => loadgen_engine::VuOrder::Fifo,
        Some((_, "lifo")) => loadgen_engine::VuOrder::Lifo,
        Some((o, other)) => {
            c.at(
                o,
                f("vu_order"),
                format!("unknown order `{other}` (use fifo: the VU idle longest, or lifo: the VU idle shortest)"),
            );
            loadgen_engine::VuOrder::Fifo
        }
    };
    Some(Pool {
        max_vus: *max_vus.get_ref(),
        pre_allocated_vus: pre,
        backlog,
        vu_order,
    })
}

/// How many arrivals may wait for a VU when a workload leaves `backlog` out: `max_vus`, or
/// 100 ms of arrivals at the peak rate if that is more — enough to ride out a short stall of
/// the target or the generator without dropping, small enough that a pool which is simply too
/// small for the rate starts dropping (and says so) within a fraction of a second.
pub(crate) fn default_backlog(max_vus: u64, peak_rate: f64) -> u64 {
    max_vus.max((peak_rate * 0.1).ceil() as u64)
}
