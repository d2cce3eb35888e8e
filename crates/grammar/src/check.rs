//! The problem collector every validation step writes to: each problem gets the file's line
//! and column and its field path, and nothing stops at the first. Shared by the scenario's
//! own checks and every protocol slice; it knows no part of the file format.

use crate::error::{Locator, Problem};
use crate::units::{parse_duration, parse_rate};
use std::collections::HashMap;
use std::fmt::Display;
use std::time::Duration;
use toml::Spanned;

/// A value as written, with its place in the file.
pub type S<T> = Spanned<T>;

/// Longest scenario, workload or step name: the scenario's names the results folder
/// (with a timestamp, well inside the file system's 255 bytes).
pub const MAX_NAME_LEN: usize = 100;

/// Collects problems with their locations in the (interpolated) file text.
pub struct Checker<'a> {
    pub loc: Locator<'a>,
    pub problems: Vec<Problem>,
    /// The offset of every value by its field path (`known::places`), for [`Checker::at_place`].
    places: HashMap<String, usize>,
}

impl<'a> Checker<'a> {
    /// A checker for problems in `text`.
    pub fn new(text: &'a str) -> Self {
        Checker {
            loc: Locator::new(text),
            problems: Vec::new(),
            places: HashMap::new(),
        }
    }

    /// The same checker, placing problems of hand-read grammars at their values.
    pub fn with_places(mut self, places: HashMap<String, usize>) -> Self {
        self.places = places;
        self
    }
}

impl Checker<'_> {
    pub fn at<T>(&mut self, s: &S<T>, field: impl Into<String>, message: impl Display) {
        self.at_offset(s.span().start, field, message);
    }

    /// A problem of sub-field `field` inside the hand-read value `s` (a payload, a webhook
    /// step, a rate pattern): placed at that sub-field's value when the file has it, else at
    /// its closest enclosing value, else at `s`.
    pub fn at_place<T>(&mut self, s: &S<T>, field: String, message: impl Display) {
        let offset = self.place(&field).unwrap_or(s.span().start);
        self.at_offset(offset, field, message);
    }

    /// The offset of `field`'s value, or of the closest enclosing value recorded.
    pub fn place(&self, field: &str) -> Option<usize> {
        let mut f = field;
        loop {
            if let Some(at) = self.places.get(f) {
                return Some(*at);
            }
            f = &f[..f.rfind(['.', '['])?];
        }
    }

    /// A problem at byte `offset` of the file.
    pub fn at_offset(&mut self, offset: usize, field: impl Into<String>, message: impl Display) {
        self.problems
            .push(self.loc.problem(offset, field, message.to_string()));
    }

    /// A workload or step name: it appears in every output (tables, CSV, XML, metric
    /// labels), so it is checked once here instead of escaped differently in each.
    pub fn label(&mut self, s: &S<String>, field: &str) {
        let name = s.get_ref();
        if name.trim().is_empty() {
            self.at(s, field, "must not be empty");
        } else if name.chars().count() > MAX_NAME_LEN {
            self.at(
                s,
                field,
                format!(
                    "is {} characters long; at most {MAX_NAME_LEN}",
                    name.chars().count()
                ),
            );
        } else if let Some(bad) = name.chars().find(|ch| ch.is_control()) {
            self.at(
                s,
                field,
                format!(
                    "contains the control character U+{:04X}; names are printed in tables, CSV and XML",
                    bad as u32
                ),
            );
        }
    }

    pub fn duration(&mut self, s: &S<String>, field: &str) -> Option<Duration> {
        parse_duration(s.get_ref())
            .map_err(|m| self.at(s, field, m))
            .ok()
    }

    pub fn rate(&mut self, s: &S<String>, field: &str) -> Option<f64> {
        parse_rate(s.get_ref())
            .map_err(|m| self.at(s, field, m))
            .ok()
    }
}

impl Checker<'_> {
    /// `v`, when given, is a field the `model` does not use: say so, with a `hint`.
    pub fn forbid<T>(&mut self, v: &Option<S<T>>, field: String, model: &str, hint: &str) {
        if let Some(v) = v {
            self.at(v, field, format!("not used by the {model} model ({hint})"));
        }
    }
}
