//! The crate's one error: a scenario that could not be read, or every problem found in it.

use crate::location::Locator;
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

/// One problem in a scenario file, at a line and column, about a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line in the file.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The field, as `workload[0].step[1].expect.status`; empty when none applies (a TOML
    /// syntax error, an environment variable).
    pub path: String,
    /// What is wrong and, where possible, what to write instead.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.line, self.column)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a valid scenario; every problem found, in file order.
    /// Displayed one per line as `file:line:col: path: message`.
    #[error("{}", render(file, problems))]
    Invalid {
        /// The file name as given to [`crate::load`] or [`crate::parse`].
        file: String,
        /// At least one problem, sorted by line and column.
        problems: Vec<Problem>,
    },
}

impl ScenarioError {
    /// The problems found (empty for [`ScenarioError::Read`]).
    pub fn problems(&self) -> &[Problem] {
        match self {
            ScenarioError::Read { .. } => &[],
            ScenarioError::Invalid { problems, .. } => problems,
        }
    }
}

fn render(file: &str, problems: &[Problem]) -> String {
    let lines: Vec<String> = problems.iter().map(|p| format!("{file}:{p}")).collect();
    lines.join("\n")
}

/// Collects problems during validation, locating byte spans of the parsed text.
pub(crate) struct Problems<'a> {
    locator: &'a Locator,
    list: Vec<Problem>,
}

impl<'a> Problems<'a> {
    pub fn new(locator: &'a Locator) -> Self {
        Problems {
            locator,
            list: Vec::new(),
        }
    }

    /// Records a problem about `path` at `span` of the parsed text.
    pub fn at(&mut self, span: Range<usize>, path: impl Into<String>, message: impl Into<String>) {
        let (line, column) = self.locator.locate(span.start);
        self.list.push(Problem {
            line,
            column,
            path: path.into(),
            message: message.into(),
        });
    }

    /// Records a problem at byte `offset` of the file itself (before interpolation).
    pub fn at_original(&mut self, offset: usize, path: &str, message: impl Into<String>) {
        let (line, column) = self.locator.locate_original(offset);
        self.list.push(Problem {
            line,
            column,
            path: path.to_string(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The error for `file`, problems in file order; `None` if there were none.
    pub fn into_error(mut self, file: &str) -> Option<ScenarioError> {
        if self.list.is_empty() {
            return None;
        }
        self.list.sort_by_key(|p| (p.line, p.column));
        Some(ScenarioError::Invalid {
            file: file.to_string(),
            problems: self.list,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::location::OffsetMap;

    #[test]
    fn problems_render_one_per_line_in_file_order() {
        let loc = Locator::new("a = 1\nb = 2\n", OffsetMap::default());
        let mut p = Problems::new(&loc);
        assert!(p.is_empty());
        p.at(6..7, "b", "second");
        p.at_original(0, "", "first, no path");
        let e = p.into_error("f.toml").unwrap();
        assert_eq!(
            e.to_string(),
            "f.toml:1:1: first, no path\nf.toml:2:1: b: second"
        );
        assert_eq!(e.problems()[1].path, "b");
        assert!(Problems::new(&loc).into_error("f.toml").is_none());
    }
}
