//! Redis steps and `[workload.redis]` checked: every problem reported under its field
//! (`workload[0].step[1].redis.cmd[0]`, `workload[0].redis.url`).

use super::raw::{RawCommand, RawRedisWorkload};
use super::spec::{RedisStepSpec, RedisWorkload};
use crate::http::raw::RawExpect;
use crate::raw::RawStep;
use loadgen_grammar::check::{Checker, S};
use loadgen_redis::{Expect, RedisUrl};
use loadgen_template::{Named, Place, Template};
use std::time::Duration;

/// Step `s`, a `redis = {…}` step, every problem reported under `field` (`workload[0].step[1]`).
pub(crate) fn step(c: &mut Checker<'_>, s: &RawStep, field: &str) -> Option<RedisStepSpec> {
    let raw = s.redis.as_ref()?;
    let r = raw.get_ref();
    let f = |name: &str| format!("{field}.redis.{name}");
    for (key, present) in [("http", s.http.is_some()), ("capture", s.capture.is_some())] {
        if present {
            c.at(
                raw,
                format!("{field}.{key}"),
                format!("a redis step has no `{key}`"),
            );
        }
    }
    let before = c.problems.len();
    let (commands, pipeline) = match (&r.cmd, &r.pipeline) {
        (Some(cmd), None) => (vec![command(c, cmd, &f("cmd"))], false),
        (None, Some(p)) => {
            if p.get_ref().is_empty() {
                c.at(p, f("pipeline"), "a pipeline needs at least one command");
            }
            let cmds = p
                .get_ref()
                .iter()
                .enumerate()
                .map(|(k, cmd)| command(c, cmd, &f(&format!("pipeline[{k}]"))))
                .collect();
            (cmds, true)
        }
        (Some(_), Some(_)) => {
            c.at(raw, f("cmd"), "give either cmd or pipeline, not both");
            return None;
        }
        (None, None) => {
            c.at(
                raw,
                f("cmd"),
                "a redis step needs cmd = [\"GET\", \"key\"] or pipeline = [[…], […]]",
            );
            return None;
        }
    };
    let expect = match &s.expect {
        Some(e) => expect(c, e, &format!("{field}.expect")),
        None => Expect::default(),
    };
    (c.problems.len() == before).then(|| RedisStepSpec {
        name: s.name.get_ref().clone(),
        commands,
        pipeline,
        expect,
    })
}

/// One command: a non-empty list whose first item, the name, is a plain string; the
/// arguments are strings (templates) or numbers.
fn command(c: &mut Checker<'_>, cmd: &RawCommand, field: &str) -> Vec<String> {
    let args = cmd.get_ref();
    let Some(name) = args.first() else {
        c.at(cmd, field, "a command needs at least its name: [\"PING\"]");
        return Vec::new();
    };
    match name.get_ref() {
        toml::Value::String(n) if n.trim().is_empty() => {
            c.at(name, format!("{field}[0]"), "the command name is empty")
        }
        toml::Value::String(n) if n.contains("{{") => c.at(
            name,
            format!("{field}[0]"),
            "the command name must be plain text (no {{…}})",
        ),
        toml::Value::String(_) => {}
        _ => c.at(
            name,
            format!("{field}[0]"),
            "the command name must be a string (\"GET\")",
        ),
    }
    let mut out = Vec::with_capacity(args.len());
    for (k, a) in args.iter().enumerate() {
        let text = match a.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(n) => n.to_string(),
            toml::Value::Float(x) => x.to_string(),
            _ => {
                c.at(
                    a,
                    format!("{field}[{k}]"),
                    "an argument is a string or a number",
                );
                continue;
            }
        };
        // Feeder columns (`{{users.id}}`) are known at build time; anything else that is not
        // built in is reported here.
        let feeder = |name: &str| name.contains('.').then(|| Named::Capture(0));
        if let Err(e) = Template::parse_in(&text, Place::Text, &feeder) {
            c.at(a, format!("{field}[{k}]"), e);
        }
        out.push(text);
    }
    out
}

/// `expect = { reply = "OK", nil = false, int = [1, 10] }`; HTTP's checks are refused.
fn expect(c: &mut Checker<'_>, e: &S<RawExpect>, field: &str) -> Expect {
    let r = e.get_ref();
    if r.status.is_some()
        || r.expected_failure_status.is_some()
        || r.body_contains.is_some()
        || !r.json.is_empty()
    {
        c.at(
            e,
            field,
            "a redis step checks reply, nil or int (status, body_contains and json are HTTP's)",
        );
    }
    if r.rows.is_some() || r.min_rows.is_some() {
        c.at(
            e,
            field,
            "a redis step checks reply, nil or int (rows and min_rows are SQL steps')",
        );
    }
    let int = r.int.as_ref().and_then(|v| match v.get_ref().as_slice() {
        [min, max] if min.get_ref() <= max.get_ref() => Some((*min.get_ref(), *max.get_ref())),
        _ => {
            c.at(
                v,
                format!("{field}.int"),
                "int = [min, max] with min <= max",
            );
            None
        }
    });
    Expect {
        reply: r.reply.as_ref().map(|s| s.get_ref().clone().into_bytes()),
        nil: r.nil.as_ref().map(|b| *b.get_ref()),
        int,
    }
}

/// `[workload.redis]`, every problem under `field` (`workload[0].redis`); the steps come
/// checked.
pub(crate) fn workload(
    c: &mut Checker<'_>,
    raw: &S<RawRedisWorkload>,
    field: &str,
    steps: Vec<RedisStepSpec>,
) -> Option<RedisWorkload> {
    let r = raw.get_ref();
    let f = |name: &str| format!("{field}.{name}");
    let url = RedisUrl::parse(r.url.get_ref())
        .map_err(|e| c.at(&r.url, f("url"), e))
        .ok();
    let mut duration = |d: &Option<S<String>>, name: &str, default: u64| match d {
        None => Some(Duration::from_secs(default)),
        Some(d) => match c.duration(d, &f(name)) {
            Some(v) if v > Duration::ZERO => Some(v),
            Some(_) => {
                c.at(d, f(name), "must be above 0");
                None
            }
            None => None,
        },
    };
    let timeout = duration(&r.timeout, "timeout", 10);
    let connect_timeout = duration(&r.connect_timeout, "connect_timeout", 5);
    Some(RedisWorkload {
        url: url?,
        timeout: timeout?,
        connect_timeout: connect_timeout?,
        steps,
    })
}
