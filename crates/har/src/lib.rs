//! loadgen-har: a scenario from a browser's or a proxy's recording (HAR 1.2).
//!
//! This crate owns `loadgen import har`: it reads the recorded exchanges ([`har`]), keeps the
//! requests to the recording's main origin, turns each into an HTTP step (method, path,
//! headers, body, the recorded status as its check, the recorded pause before it), infers
//! captures where a later request sends back a value of an earlier answer ([`infer`]), and
//! replaces the secrets no capture explains — credentials, cookies, password fields — with
//! `${VAR}` placeholders, so a recorded secret is never written. The result is scenario text
//! that `loadgen validate` accepts once the variables are set.
//!
//! It must not know about the scenario crate's types, the engine or the command line: it
//! writes TOML text in the grammar of docs/journeys.md, and the cli prints it.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
pub mod har;
pub mod infer;
mod request;
mod text;
mod write;

pub use error::HarError;
pub use infer::{Inferred, Source};

use std::collections::BTreeMap;
use std::path::Path;

/// Recorded pauses become each step's `think = "…"` (the pause before the step).
const THINK_KEY: bool = true;

/// How to write the scenario.
#[derive(Debug, Clone)]
pub struct Options {
    /// The scenario's `name`.
    pub name: String,
    /// Where the recording came from (the file name), for the header comment.
    pub source: String,
    /// Write recorded pauses as each step's `think = "…"` (a grammar that has it);
    /// otherwise as comments.
    pub think_key: bool,
}

/// An imported recording.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The scenario, TOML.
    pub scenario: String,
    /// The `${VAR}`s it uses, which the user must set (in order of first use).
    pub vars: Vec<String>,
    /// The captures it inferred.
    pub captures: Vec<Inferred>,
    /// The origin that became the target.
    pub origin: String,
    /// Things the user should know (entries left out).
    pub notes: Vec<String>,
}

/// Imports the HAR file at `path`, the scenario named after the file.
pub fn import_file(path: &Path) -> Result<Imported, HarError> {
    let text = std::fs::read_to_string(path).map_err(|e| HarError::Read {
        path: path.display().to_string(),
        source: e,
    })?;
    let stem = path.file_stem().map_or_else(
        || "imported".to_owned(),
        |s| s.to_string_lossy().into_owned(),
    );
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    import(
        &text,
        &Options {
            name,
            source: path
                .file_name()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
            think_key: THINK_KEY,
        },
    )
}

impl Imported {
    /// What the user must know, for stderr: the variables to set, the captures inferred, the
    /// entries left out.
    pub fn advice(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "loadgen import har: target {}, {} inferred capture(s){}\n",
            self.origin,
            self.captures.len(),
            if self.captures.is_empty() {
                String::new()
            } else {
                format!(
                    ": {}",
                    self.captures
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ));
        for note in &self.notes {
            out.push_str(&format!("loadgen import har: {note}\n"));
        }
        if !self.vars.is_empty() {
            out.push_str(&format!(
                "loadgen import har: set before running (the recorded values are not written): {}\n",
                self.vars.join(" ")
            ));
        }
        out
    }
}

/// Imports the HAR text `har`.
pub fn import(har: &str, options: &Options) -> Result<Imported, HarError> {
    let all = har::read(har)?;
    let origin = main_origin(&all);
    let mut notes = Vec::new();
    let left_out = all.iter().filter(|e| e.origin != origin).count();
    if left_out > 0 {
        notes.push(format!(
            "{left_out} of {} requests went to other origins than {origin} and were left out",
            all.len()
        ));
    }
    let exchanges: Vec<har::Exchange> = all.into_iter().filter(|e| e.origin == origin).collect();
    let mut reqs: Vec<request::Req> = exchanges.iter().map(request::request).collect();
    let captures = infer::infer(&exchanges, &mut reqs);
    let vars = hide_secrets(&mut reqs);
    let head = write::Head {
        name: &options.name,
        origin: &origin,
        source: &options.source,
        vars: &vars,
        think_key: options.think_key,
    };
    let scenario = write::scenario(&head, &exchanges, &reqs, &captures);
    Ok(Imported {
        scenario,
        vars,
        captures,
        origin,
        notes,
    })
}

/// The origin most requests went to (the first one's on a tie).
fn main_origin(all: &[har::Exchange]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for e in all {
        match counts.iter_mut().find(|(o, _)| *o == e.origin) {
            Some((_, n)) => *n += 1,
            None => counts.push((&e.origin, 1)),
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
    counts
        .iter()
        .find(|(_, n)| *n == best)
        .map_or_else(String::new, |(o, _)| (*o).to_owned())
}

/// Every secret no capture explained becomes a variable: one per distinct recorded value of a
/// kind (`COOKIE_SESSION`, then `COOKIE_SESSION_2` for another value). Returns their names.
fn hide_secrets(reqs: &mut [request::Req]) -> Vec<String> {
    let mut by_value: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for r in reqs.iter_mut() {
        for t in r.texts_mut() {
            t.hide_secrets(|hint, value| {
                let key = (hint.to_owned(), value.to_owned());
                if let Some(name) = by_value.get(&key) {
                    return name.clone();
                }
                let name = (1..)
                    .map(|k| match k {
                        1 => hint.to_owned(),
                        k => format!("{hint}_{k}"),
                    })
                    .find(|n| !order.contains(n))
                    .expect("some suffix is free");
                by_value.insert(key, name.clone());
                order.push(name.clone());
                name
            });
        }
    }
    order
}
