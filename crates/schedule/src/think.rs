//! Pauses as written: think time between iterations (`think_time`) and between steps
//! (`think`), and a repeated step's session length (`repeat_for`), one grammar for all.

use loadgen_engine::ThinkTime;
use loadgen_grammar::check::{Checker, S};
use loadgen_grammar::units::parse_duration;

/// `"1s"`, `{ uniform = [lo, hi] }`, `{ exponential = mean }` or `{ lognormal = [p5, p95] }`.
pub fn think_time(c: &mut Checker<'_>, t: &S<toml::Value>, field: &str) -> Option<ThinkTime> {
    let bad = "write \"1s\", { uniform = [\"500ms\", \"2s\"] }, { exponential = \"1s\" } or { lognormal = [\"5m\", \"4h\"] }";
    let dur = |v: &toml::Value| {
        v.as_str()
            .map(|s| parse_duration(s).map_err(|e| e.to_string()))
    };
    let result = match t.get_ref() {
        toml::Value::String(s) => parse_duration(s)
            .map(ThinkTime::Fixed)
            .map_err(|e| e.to_string()),
        toml::Value::Table(tab) if tab.len() == 1 => match tab.iter().next() {
            Some((k, toml::Value::Array(a)))
                if (k == "uniform" || k == "lognormal") && a.len() == 2 =>
            {
                match (dur(&a[0]), dur(&a[1])) {
                    (Some(Ok(lo)), Some(Ok(hi))) if lo <= hi && k == "uniform" => {
                        Ok(ThinkTime::Uniform(lo, hi))
                    }
                    (Some(Ok(lo)), Some(Ok(hi))) if lo <= hi => Ok(ThinkTime::LogNormal(lo, hi)),
                    (Some(Ok(_)), Some(Ok(_))) => Err(format!("{k} bounds must be [low, high]")),
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
