//! Raw scenario → validated [`Scenario`]: units parsed, model fields checked against the
//! model, names unique, thresholds parsed and their filters resolved. Every problem is
//! collected with its location; nothing stops at the first.

use crate::check::{Checker, MAX_NAME_LEN};
use crate::error::Problem;
use crate::model::*;
use crate::pattern::Pattern;
use crate::raw::*;
use crate::threshold::{parse_expression, parse_key, MetricKind, Threshold};
use crate::units::{parse_duration, parse_rate};
use loadgen_engine::{Spacing, ThinkTime, VuStages};
use std::collections::HashSet;
use std::time::Duration;

/// How a target URL may start (`target` in a file, `--target` or `TARGET_URL`).
pub const TARGET_SCHEMES: [&str; 4] = ["http://", "https://", "ws://", "wss://"];

/// Validates `raw` (parsed from `text`); returns every problem found.
pub(crate) fn validate(
    raw: RawScenario,
    text: &str,
    base_dir: &std::path::Path,
) -> Result<Scenario, Vec<Problem>> {
    let mut c = Checker::new(text);
    let duration = match &raw.duration {
        Some(d) => c.duration(d, "duration").unwrap_or_default(),
        None => Duration::from_secs(30),
    };
    let graceful_stop = match &raw.graceful_stop {
        Some(d) => c.duration(d, "graceful_stop").unwrap_or_default(),
        None => Duration::from_secs(5),
    };
    if raw.name.get_ref().trim().is_empty() {
        c.at(&raw.name, "name", "must not be empty");
    } else if raw.name.get_ref().len() > MAX_NAME_LEN {
        c.at(
            &raw.name,
            "name",
            format!(
                "is {} characters long; at most {MAX_NAME_LEN} (it names the results folder)",
                raw.name.get_ref().len()
            ),
        );
    } else if !raw
        .name
        .get_ref()
        .chars()
        .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
    {
        c.at(
            &raw.name,
            "name",
            "use letters, digits, `-`, `_` or `.` (it names the results folder)",
        );
    }
    let target = target(&mut c, &raw);
    let http = http(&mut c, raw.http.as_ref(), base_dir);
    if raw.workload.is_empty() {
        c.problems.push(
            c.loc
                .problem(0, "workload", "a scenario needs at least one [[workload]]"),
        );
    }
    let mut payloads = Vec::new();
    for (name, table) in &raw.payload {
        match crate::payload::parse(name, table.get_ref()) {
            Ok(g) => payloads.push(g),
            Err(e) => c.at(table, format!("payload.{name}.{}", e.field), e.problem),
        }
    }
    let payload_names: Vec<String> = raw.payload.keys().cloned().collect();
    let mut feeders = Vec::new();
    for (name, f) in &raw.feeder {
        let order = match f
            .get_ref()
            .order
            .as_ref()
            .map(|o| (o, o.get_ref().as_str()))
        {
            None | Some((_, "sequential")) => crate::feeder::Order::Sequential,
            Some((_, "random")) => crate::feeder::Order::Random,
            Some((_, "unique")) => crate::feeder::Order::Unique,
            Some((o, other)) => {
                c.at(
                    o,
                    format!("feeder.{name}.order"),
                    format!("unknown order `{other}` (use sequential, random or unique)"),
                );
                continue;
            }
        };
        let path = base_dir.join(f.get_ref().file.get_ref());
        match crate::feeder::Feeder::load(name, &path, order) {
            Ok(feeder) => feeders.push(std::sync::Arc::new(feeder)),
            Err(e) => c.at(&f.get_ref().file, format!("feeder.{name}.file"), e),
        }
    }
    feeder_columns(&mut c, &raw, &feeders);
    crate::journey::check_names(&mut c, &raw);
    let mut names = HashSet::new();
    let mut workloads = Vec::new();
    for (i, w) in raw.workload.iter().enumerate() {
        c.label(&w.get_ref().name, &format!("workload[{i}].name"));
        if !names.insert(w.get_ref().name.get_ref().clone()) {
            c.at(
                &w.get_ref().name,
                format!("workload[{i}].name"),
                format!("duplicate workload name `{}`", w.get_ref().name.get_ref()),
            );
        }
        if let Some(spec) = workload(&mut c, w.get_ref(), i, duration, &payload_names) {
            workloads.push(spec);
        }
    }
    for (i, w) in workloads.iter().enumerate() {
        for f in feeders
            .iter()
            .filter(|f| f.order == crate::feeder::Order::Unique)
        {
            let needle = format!("{{{{{}.", f.name);
            if !w
                .protocol
                .template_texts()
                .iter()
                .any(|t| t.contains(&needle))
            {
                continue;
            }
            let bound = match &w.model {
                ModelSpec::Closed {
                    stages,
                    iterations: Some(n),
                    ..
                } => Some(stages.max_vus() * n),
                _ => None,
            };
            let message = match bound {
                Some(b) if b <= f.rows.len() as u64 => continue,
                Some(b) => format!(
                    "unique feeder `{}` has {} rows but this workload may run {b} iterations (unique rows never repeat)",
                    f.name,
                    f.rows.len()
                ),
                None => format!(
                    "unique feeder `{}` needs a closed workload with `iterations` (so the rows it needs are known); use order = \"sequential\" or \"random\" here",
                    f.name
                ),
            };
            c.at(
                &raw.workload[i].get_ref().name,
                format!("workload[{i}]"),
                message,
            );
        }
    }
    let thresholds = thresholds(&mut c, &raw, text, &workloads);
    if !c.problems.is_empty() {
        c.problems.sort_by_key(|p| (p.line, p.column));
        return Err(c.problems);
    }
    Ok(Scenario {
        name: raw.name.into_inner(),
        description: raw.description,
        target,
        duration,
        seed: raw.seed.unwrap_or(1),
        graceful_stop,
        http,
        feeders,
        payloads,
        workloads,
        thresholds,
    })
}

fn target(c: &mut Checker<'_>, raw: &RawScenario) -> TargetSpec {
    let mut emb = EmbeddedSpec::default();
    if let Some(e) = &raw.embedded {
        if let Some(l) = &e.latency {
            emb.latency = l.get_ref().clone();
        }
        if let Some(r) = &e.error_rate {
            if !(0.0..=1.0).contains(r.get_ref()) {
                c.at(r, "embedded.error_rate", "must be between 0 and 1");
            }
            emb.error_rate = *r.get_ref();
        }
        if let Some(t) = &e.threads {
            if *t.get_ref() == 0 {
                c.at(t, "embedded.threads", "must be at least 1");
            }
            emb.threads = *t.get_ref() as usize;
        }
        emb.seed = e.seed.unwrap_or(emb.seed);
        if let Some(s) = &e.webhook_secret {
            emb.webhook_secret = Some(loadgen_webhook::Secret::new(s.get_ref().as_str()));
        }
        if let Some(d) = &e.callback_delay {
            emb.callback_delay = c.duration(d, "embedded.callback_delay");
        }
    }
    match &raw.target {
        None => TargetSpec::Embedded(emb),
        Some(t) if t.get_ref() == "embedded" => TargetSpec::Embedded(emb),
        Some(t) if TARGET_SCHEMES.iter().any(|s| t.get_ref().starts_with(s)) => {
            TargetSpec::Url(t.get_ref().clone())
        }
        Some(t) => {
            c.at(
                t,
                "target",
                format!(
                    "`{}` is neither a http(s):// URL nor \"embedded\"",
                    t.get_ref()
                ),
            );
            TargetSpec::Embedded(emb)
        }
    }
}

fn http(c: &mut Checker<'_>, raw: Option<&RawHttp>, base_dir: &std::path::Path) -> HttpDefaults {
    let mut h = HttpDefaults::default();
    let Some(r) = raw else { return h };
    if let Some(v) = &r.version {
        h.version = match v.get_ref().as_str() {
            "http1" | "http/1.1" | "1.1" => HttpVersionSpec::Http1,
            "http2" | "h2" | "h2c" | "2" => HttpVersionSpec::Http2,
            other => {
                c.at(
                    v,
                    "http.version",
                    format!("unknown version `{other}` (use http1 or http2)"),
                );
                h.version
            }
        };
    }
    h.tls.insecure = r.insecure.unwrap_or(false);
    h.hosts = crate::http_tls::tls_fields(c, r, base_dir, &mut h.tls);
    h.proxy = crate::http_tls::proxy(c, r);
    h.tls_auth = crate::http_tls::tls_auth(c, r, base_dir);
    h.fast_path = r.fast_path.unwrap_or(true);
    if let Some(d) = &r.connect_timeout {
        h.connect_timeout = c
            .duration(d, "http.connect_timeout")
            .unwrap_or(h.connect_timeout);
    }
    if let Some(d) = &r.timeout {
        h.timeout = c.duration(d, "http.timeout").unwrap_or(h.timeout);
    }
    h.headers = r
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.get_ref().clone()))
        .collect();
    h
}

fn workload(
    c: &mut Checker<'_>,
    w: &RawWorkload,
    i: usize,
    default_duration: Duration,
    payloads: &[String],
) -> Option<WorkloadSpec> {
    let f = |name: &str| format!("workload[{i}].{name}");
    let start = w
        .start
        .as_ref()
        .and_then(|s| c.duration(s, &f("start")))
        .unwrap_or_default();
    let duration = w.duration.as_ref().map(|d| c.duration(d, &f("duration")));
    let model = match w.model.get_ref().as_str() {
        "open" => open(c, w, i, duration.flatten().unwrap_or(default_duration)),
        "closed" => closed(c, w, i, duration.flatten().unwrap_or(default_duration)),
        other => {
            c.at(
                &w.model,
                f("model"),
                format!("unknown model `{other}` (use open or closed)"),
            );
            None
        }
    };
    let checked = crate::protocol::validate::workload(
        c,
        w,
        i,
        payloads,
        model.as_ref().map(ModelSpec::duration),
    );
    Some(WorkloadSpec {
        name: w.name.get_ref().clone(),
        start,
        model: model?,
        protocol: checked.protocol?,
        new_connection_per_iteration: checked.new_connection_per_iteration,
    })
}

fn forbid<T>(c: &mut Checker<'_>, v: &Option<S<T>>, field: String, model: &str, hint: &str) {
    if let Some(v) = v {
        c.at(v, field, format!("not used by the {model} model ({hint})"));
    }
}

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

fn open(c: &mut Checker<'_>, w: &RawWorkload, i: usize, duration: Duration) -> Option<ModelSpec> {
    let f = |name: &str| format!("workload[{i}].{name}");
    forbid(c, &w.vus, f("vus"), "open", "use rate and max_vus");
    forbid(c, &w.start_vus, f("start_vus"), "open", "use start_rate");
    forbid(
        c,
        &w.think_time,
        f("think_time"),
        "open",
        "arrivals are scheduled by rate",
    );
    forbid(
        c,
        &w.iterations,
        f("iterations"),
        "open",
        "the rate and duration decide the count",
    );
    let rate = match (&w.rate, &w.stages) {
        (Some(r), None) => {
            forbid(
                c,
                &w.start_rate,
                f("start_rate"),
                "constant-rate",
                "start_rate goes with stages",
            );
            match crate::pattern::parse(r.get_ref()) {
                Ok(p) => p,
                Err(e) => {
                    let field = match e.field.as_str() {
                        "" => "rate".to_string(),
                        sub => format!("rate.{sub}"),
                    };
                    c.at(r, f(&field), e.problem);
                    return None;
                }
            }
        }
        (None, Some(stages)) => {
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
            Pattern::Stages {
                start,
                stages: out.into_iter().map(|(d, t)| (d.as_secs_f64(), t)).collect(),
            }
        }
        (Some(r), Some(_)) => {
            c.at(
                r,
                f("rate"),
                "give either rate (constant) or stages (ramping), not both",
            );
            return None;
        }
        (None, None) => {
            c.at(
                &w.model,
                f("rate"),
                "an open workload needs rate = \"N/s\" or stages",
            );
            return None;
        }
    };
    let duration = match &rate {
        Pattern::Stages { stages, .. } if w.duration.is_none() => {
            Duration::from_secs_f64(stages.iter().map(|s| s.0).sum())
        }
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
    Some(ModelSpec::Open {
        rate,
        duration,
        arrivals,
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

fn closed(c: &mut Checker<'_>, w: &RawWorkload, i: usize, duration: Duration) -> Option<ModelSpec> {
    let f = |name: &str| format!("workload[{i}].{name}");
    forbid(c, &w.rate, f("rate"), "closed", "use vus");
    forbid(c, &w.scale, f("scale"), "closed", "scale the vus");
    forbid(c, &w.start_rate, f("start_rate"), "closed", "use start_vus");
    forbid(
        c,
        &w.arrivals,
        f("arrivals"),
        "closed",
        "VUs loop; use think_time",
    );
    forbid(c, &w.max_vus, f("max_vus"), "closed", "use vus or stages");
    forbid(
        c,
        &w.pre_allocated_vus,
        f("pre_allocated_vus"),
        "closed",
        "use vus or stages",
    );
    forbid(
        c,
        &w.backlog,
        f("backlog"),
        "closed",
        "a closed VU starts its next iteration itself",
    );
    forbid(
        c,
        &w.vu_order,
        f("vu_order"),
        "closed",
        "each closed VU keeps its own connection busy",
    );
    let stages = match (&w.vus, &w.stages) {
        (Some(v), None) => {
            if *v.get_ref() == 0 {
                c.at(v, f("vus"), "must be at least 1");
            }
            forbid(
                c,
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
    let think = match &w.think_time {
        None => ThinkTime::None,
        Some(t) => think_time(c, t, &f("think_time"))?,
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

fn think_time(c: &mut Checker<'_>, t: &S<toml::Value>, field: &str) -> Option<ThinkTime> {
    let bad = "write \"1s\", { uniform = [\"500ms\", \"2s\"] } or { exponential = \"1s\" }";
    let dur = |v: &toml::Value| {
        v.as_str()
            .map(|s| parse_duration(s).map_err(|e| e.to_string()))
    };
    let result = match t.get_ref() {
        toml::Value::String(s) => parse_duration(s)
            .map(ThinkTime::Fixed)
            .map_err(|e| e.to_string()),
        toml::Value::Table(tab) if tab.len() == 1 => match tab.iter().next() {
            Some((k, toml::Value::Array(a))) if k == "uniform" && a.len() == 2 => {
                match (dur(&a[0]), dur(&a[1])) {
                    (Some(Ok(lo)), Some(Ok(hi))) if lo <= hi => Ok(ThinkTime::Uniform(lo, hi)),
                    (Some(Ok(_)), Some(Ok(_))) => {
                        Err("uniform bounds must be [low, high]".to_string())
                    }
                    (Some(Err(e)), _) | (_, Some(Err(e))) => Err(e),
                    _ => Err(bad.to_string()),
                }
            }
            Some((k, v)) if k == "exponential" => match dur(v) {
                Some(Ok(d)) => Ok(ThinkTime::Exponential(d)),
                Some(Err(e)) => Err(e),
                None => Err(bad.to_string()),
            },
            _ => Err(bad.to_string()),
        },
        _ => Err(bad.to_string()),
    };
    result.map_err(|m| c.at(t, field, m)).ok()
}

fn thresholds(
    c: &mut Checker<'_>,
    raw: &RawScenario,
    text: &str,
    workloads: &[WorkloadSpec],
) -> Vec<Threshold> {
    let mut out = Vec::new();
    // A workload with its own mistake was left out of `workloads`, but its steps still exist
    // in the file: names are looked up in what was written, so no second error is invented.
    let written_step = |name: &str| {
        raw.workload.iter().any(|w| {
            w.get_ref()
                .step
                .iter()
                .any(|s| s.get_ref().name.get_ref() == name)
        })
    };
    let written_workload = |name: &str| {
        raw.workload
            .iter()
            .any(|w| w.get_ref().name.get_ref() == name)
    };
    for (key, list) in &raw.thresholds {
        // Keys carry no span of their own; point at the key's text in the [thresholds] table.
        let key_at = text
            .find("[thresholds]")
            .and_then(|t| text[t..].find(key.as_str()).map(|k| t + k))
            .unwrap_or(list.span().start);
        let field = format!("thresholds.\"{key}\"");
        let custom_kind = |name: &str| {
            workloads
                .iter()
                .flat_map(|w| w.custom_metrics())
                .find(|m| m.name == name)
                .map(|m| m.kind)
        };
        let parsed = parse_key(key, &custom_kind).map_err(|e| e.to_string());
        let parsed = parsed.and_then(|(metric, filter)| {
            if matches!(metric, MetricKind::Custom(_)) && filter.step.is_some() {
                return Err(
                    "custom metrics are kept per workload: filter with {workload=NAME}, not step="
                        .into(),
                );
            }
            if let Some(s) = filter.step.as_ref().filter(|s| !written_step(s)) {
                if !workloads.iter().any(|w| w.protocol.has_step(s)) {
                    return Err(format!("no step is named `{s}`"));
                }
            }
            if let Some(wn) = filter.workload.as_ref().filter(|w| !written_workload(w)) {
                if !workloads.iter().any(|w| w.name == *wn) {
                    return Err(format!("no workload is named `{wn}`"));
                }
            }
            Ok((metric, filter))
        });
        let (metric, filter) = match parsed {
            Ok(v) => v,
            Err(m) => {
                c.problems.push(c.loc.problem(key_at, field, m));
                continue;
            }
        };
        for item in list.get_ref() {
            let (expr, abort, delay) = match item.get_ref() {
                RawThreshold::Expr(e) => (e.clone(), false, None),
                RawThreshold::Full(f) => (
                    f.threshold.clone(),
                    f.abort_on_fail,
                    f.delay_abort_eval.clone(),
                ),
            };
            let delay = match delay.map(|d| parse_duration(&d)) {
                None => Some(Duration::ZERO),
                Some(Ok(d)) => Some(d),
                Some(Err(m)) => {
                    c.at(item, field.clone(), format!("delay_abort_eval: {m}"));
                    None
                }
            };
            match (parse_expression(metric, &expr), delay) {
                (Ok((metric, stat, op, limit)), Some(delay_abort_eval)) => out.push(Threshold {
                    key: key.clone(),
                    expression: expr.trim().to_string(),
                    metric,
                    filter: filter.clone(),
                    stat,
                    op,
                    limit,
                    abort_on_fail: abort,
                    delay_abort_eval,
                }),
                (Err(m), _) => c.at(item, field.clone(), m),
                _ => {}
            }
        }
    }
    out
}

/// `{{feeder.column}}` in a step's path, headers or body names a column the feeder has:
/// checked here, where the step's line is known, rather than when the plan is built.
fn feeder_columns(
    c: &mut Checker<'_>,
    raw: &RawScenario,
    feeders: &[std::sync::Arc<crate::feeder::Feeder>],
) {
    for (i, w) in raw.workload.iter().enumerate() {
        for (j, s) in w.get_ref().step.iter().enumerate() {
            let Some(http) = &s.get_ref().http else {
                continue;
            };
            for part in crate::protocol::http::templated::parts(http) {
                for (feeder, column) in crate::protocol::http::templated::placeholders(&part.text)
                    .filter_map(|p| p.split_once('.'))
                    .map(|(f, col)| (f.trim(), col.trim()))
                {
                    let Some(f) = feeders.iter().find(|f| f.name == feeder) else {
                        continue;
                    };
                    if !f.columns.iter().any(|c| c == column) {
                        c.at_offset(
                            part.at,
                            format!("workload[{i}].step[{j}].http.{}", part.field),
                            format!(
                                "feeder `{feeder}` has no column `{column}` (its columns: {})",
                                f.columns.join(", ")
                            ),
                        );
                    }
                }
            }
        }
    }
}
