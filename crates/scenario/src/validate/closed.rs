//! A closed (VU) workload's schedule checked: its VUs or stages, think time and iterations.

use crate::check::Checker;
use crate::raw::RawWorkload;
use crate::schedule::ModelSpec;
use loadgen_engine::{ThinkTime, VuStages};
use std::time::Duration;

/// The schedule of closed workload `w` (`workload[i]`), `duration` long unless its stages say.
pub(super) fn closed(
    c: &mut Checker<'_>,
    w: &RawWorkload,
    i: usize,
    duration: Duration,
) -> Option<ModelSpec> {
    let f = |name: &str| format!("workload[{i}].{name}");
    c.forbid(&w.rate, f("rate"), "closed", "use vus");
    c.forbid(&w.scale, f("scale"), "closed", "scale the vus");
    c.forbid(&w.start_rate, f("start_rate"), "closed", "use start_vus");
    c.forbid(
        &w.arrivals,
        f("arrivals"),
        "closed",
        "VUs loop; use think_time",
    );
    c.forbid(&w.max_vus, f("max_vus"), "closed", "use vus or stages");
    c.forbid(
        &w.pre_allocated_vus,
        f("pre_allocated_vus"),
        "closed",
        "use vus or stages",
    );
    c.forbid(
        &w.backlog,
        f("backlog"),
        "closed",
        "a closed VU starts its next iteration itself",
    );
    c.forbid(
        &w.vu_order,
        f("vu_order"),
        "closed",
        "each closed VU keeps its own connection busy",
    );
    let stages = vu_stages(c, w, i, duration)?;
    let think = match &w.think_time {
        None => ThinkTime::None,
        Some(t) => loadgen_schedule::think::think_time(c, t, &f("think_time"))?,
    };
    if let Some(n) = &w.iterations {
        if *n.get_ref() == 0 {
            c.at(n, f("iterations"), "must be at least 1");
        }
    }
    Some(ModelSpec::Closed {
        stages,
        think,
        iterations: w.iterations.as_ref().map(|n| *n.get_ref()),
    })
}

/// `vus` (constant) or `start_vus` and `stages = [{ duration, target = N }, …]`.
fn vu_stages(
    c: &mut Checker<'_>,
    w: &RawWorkload,
    i: usize,
    duration: Duration,
) -> Option<VuStages> {
    let f = |name: &str| format!("workload[{i}].{name}");
    let stages = match (&w.vus, &w.stages) {
        (Some(v), None) => {
            if *v.get_ref() == 0 {
                c.at(v, f("vus"), "must be at least 1");
            }
            c.forbid(
                &w.start_vus,
                f("start_vus"),
                "constant-VU",
                "start_vus goes with stages",
            );
            VuStages::constant(*v.get_ref(), duration)
        }
        (None, Some(stages)) => {
            let mut out = Vec::new();
            for (k, st) in stages.get_ref().iter().enumerate() {
                let st = st.get_ref();
                let d = c.duration(&st.duration, &f(&format!("stages[{k}].duration")));
                let t = match st.target.get_ref() {
                    toml::Value::Integer(n) if *n >= 0 => Some(*n as u64),
                    _ => {
                        c.at(
                            &st.target,
                            f(&format!("stages[{k}].target")),
                            "a closed-model stage target is a VU count (an integer)",
                        );
                        None
                    }
                };
                out.push((d?, t?));
            }
            if out.is_empty() {
                c.at(stages, f("stages"), "needs at least one stage");
            }
            VuStages {
                start: w.start_vus.as_ref().map_or(0, |s| *s.get_ref()),
                stages: out,
            }
        }
        (Some(v), Some(_)) => {
            c.at(
                v,
                f("vus"),
                "give either vus (constant) or stages (ramping), not both",
            );
            return None;
        }
        (None, None) => {
            c.at(
                &w.model,
                f("vus"),
                "a closed workload needs vus = N or stages",
            );
            return None;
        }
    };
    Some(stages)
}
