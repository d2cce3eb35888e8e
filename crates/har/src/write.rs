//! The scenario as TOML text: one closed workload of one VU running the recorded requests
//! once, in order, each step expecting its recorded status, each inferred capture marked by a
//! comment, each recorded pause noted.

use crate::har::Exchange;
use crate::infer::{Inferred, Source};
use crate::request::Req;
use crate::text::{Parts, Piece};
use std::fmt::Write;

/// Pauses shorter than this are the client's own work, not a person thinking.
const MIN_THINK_MS: f64 = 100.0;

/// What the writer needs besides the steps.
pub(crate) struct Head<'a> {
    /// The scenario's name.
    pub(crate) name: &'a str,
    /// The recorded origin, the target's default.
    pub(crate) origin: &'a str,
    /// Where it came from, for the header comment.
    pub(crate) source: &'a str,
    /// Variables the user must set.
    pub(crate) vars: &'a [String],
    /// Write recorded pauses as `think = "…"` on the steps (otherwise as comments).
    pub(crate) think_key: bool,
}

/// The scenario text.
pub(crate) fn scenario(
    head: &Head<'_>,
    exchanges: &[Exchange],
    reqs: &[Req],
    captures: &[Inferred],
) -> String {
    let names: Vec<String> = captures.iter().map(|c| c.name.clone()).collect();
    let span_ms = exchanges
        .iter()
        .map(|e| e.start_ms + e.time_ms)
        .fold(0.0, f64::max);
    let duration_s = ((span_ms / 1000.0) * 2.0 + 10.0).ceil().max(30.0) as u64;
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "# Imported by `loadgen import har` from {}: {} requests to {}.",
        head.source,
        reqs.len(),
        head.origin
    );
    let _ = writeln!(
        w,
        "# One VU replays the recording once; raise `vus`, drop `iterations` for load."
    );
    if !head.vars.is_empty() {
        let _ = writeln!(
            w,
            "# Set before running (recorded values are not written): {}",
            head.vars.join(", ")
        );
    }
    let _ = writeln!(w, "name = {}", quote(head.name));
    let _ = writeln!(
        w,
        "target = {}",
        quote(&format!(
            "${{TARGET_URL:-{}}}",
            head.origin.replace("${", "$${")
        ))
    );
    let _ = writeln!(w, "duration = \"{duration_s}s\"");
    let _ = writeln!(w);
    let _ = writeln!(w, "[[workload]]");
    let _ = writeln!(w, "name = \"recorded\"");
    let _ = writeln!(w, "model = \"closed\"");
    let _ = writeln!(w, "vus = 1");
    let _ = writeln!(w, "iterations = 1");
    let mut step_names: Vec<String> = Vec::new();
    for (i, (e, r)) in exchanges.iter().zip(reqs).enumerate() {
        let name = unique(step_name(r, &names), &step_names);
        let _ = writeln!(w);
        let _ = writeln!(w, "  [[workload.step]]");
        if i > 0 {
            let prev = &exchanges[i - 1];
            let gap = e.start_ms - (prev.start_ms + prev.time_ms);
            if gap >= MIN_THINK_MS {
                let secs = format!("{:.3}s", gap / 1000.0);
                if head.think_key {
                    let _ = writeln!(
                        w,
                        "  think = \"{secs}\"   # the recorded pause before this step"
                    );
                } else {
                    let _ = writeln!(w, "  # recorded pause before this step: {secs}");
                }
            }
        }
        let _ = writeln!(w, "  name = {}", quote(&name));
        let _ = writeln!(w, "  http = {}", http_table(r, &names));
        let _ = writeln!(w, "  expect = {{ status = [{}] }}", e.status);
        let mine: Vec<&Inferred> = captures.iter().filter(|c| c.step == i).collect();
        if !mine.is_empty() {
            for c in &mine {
                let used: Vec<String> = c.used_by.iter().map(|j| format!("{}", j + 1)).collect();
                let _ = writeln!(
                    w,
                    "  # inferred: `{}` of this answer is sent again by step{} {}",
                    c.name,
                    if used.len() > 1 { "s" } else { "" },
                    used.join(", ")
                );
            }
            let fields: Vec<String> = mine
                .iter()
                .map(|c| format!("{} = {}", c.name, source_table(&c.source)))
                .collect();
            let _ = writeln!(w, "  capture = {{ {} }}", fields.join(", "));
        }
        step_names.push(name);
    }
    out
}

fn source_table(s: &Source) -> String {
    match s {
        Source::Json(p) => format!("{{ json = {} }}", quote(p)),
        Source::Cookie(c) => format!("{{ cookie = {} }}", quote(c)),
        Source::Header(h) => format!("{{ header = {} }}", quote(h)),
    }
}

fn http_table(r: &Req, names: &[String]) -> String {
    let mut fields = Vec::new();
    if r.method != "GET" {
        fields.push(format!("method = {}", quote(&r.method)));
    }
    fields.push(format!("path = {}", quote(&render(&r.path, names))));
    if !r.headers.is_empty() {
        let hs: Vec<String> = r
            .headers
            .iter()
            .map(|(n, v)| format!("{} = {}", quote(n), quote(&render(v, names))))
            .collect();
        fields.push(format!("headers = {{ {} }}", hs.join(", ")));
    }
    if let Some(body) = &r.body {
        fields.push(format!("body = {}", quote(&render(body, names))));
    }
    format!("{{ {} }}", fields.join(", "))
}

/// The text as the scenario writes it: captures as `{{name}}`, variables as `${NAME}`, and a
/// recorded `${` kept literal (`$${`).
fn render(p: &Parts, names: &[String]) -> String {
    let mut out = String::new();
    for piece in &p.0 {
        match piece {
            Piece::Text { text, .. } => out.push_str(&text.replace("${", "$${")),
            Piece::Capture(n) => {
                let _ = write!(out, "{{{{{}}}}}", names.get(*n).map_or("", String::as_str));
            }
            Piece::Var(v) => {
                let _ = write!(out, "${{{v}}}");
            }
        }
    }
    out
}

/// `post-api-payments-id-refund`: the method and the path's words, captures by name.
fn step_name(r: &Req, names: &[String]) -> String {
    let path = r.path.plain(names);
    let path = path.split('?').next().unwrap_or("");
    let mut name = r.method.to_ascii_lowercase();
    for word in path.split(|c: char| !c.is_ascii_alphanumeric()) {
        if !word.is_empty() {
            name.push('-');
            name.push_str(&word.to_ascii_lowercase());
        }
    }
    name
}

fn unique(name: String, taken: &[String]) -> String {
    if !taken.contains(&name) {
        return name;
    }
    (2..)
        .map(|k| format!("{name}-{k}"))
        .find(|n| !taken.contains(n))
        .expect("some suffix is free")
}

/// A TOML basic string.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_toml_basic_strings() {
        assert_eq!(quote("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }

    #[test]
    fn captures_and_variables_render_in_their_syntax() {
        let mut p = Parts::default();
        p.push("/p/", None);
        p.0.push(Piece::Capture(0));
        p.push("?x=${HOME}", None);
        p.0.push(Piece::Var("TOKEN".into()));
        assert_eq!(render(&p, &["id".into()]), "/p/{{id}}?x=$${HOME}${TOKEN}");
    }
}
