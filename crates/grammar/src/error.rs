//! Scenario errors: every problem found, each with file, line, column and field.

use std::fmt;
use std::path::PathBuf;

/// One mistake in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// Field path, e.g. `workload[0].step[1].expect.status`.
    pub field: String,
    /// What is wrong and, where possible, how to fix it.
    pub message: String,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file has mistakes; all of them are listed.
    #[error("{}", Listing { file, problems })]
    Invalid {
        /// File name as given.
        file: String,
        /// Every problem found, in file order.
        problems: Vec<Problem>,
    },
}

impl ScenarioError {
    /// The problems, if the file was read.
    pub fn problems(&self) -> &[Problem] {
        match self {
            ScenarioError::Invalid { problems, .. } => problems,
            ScenarioError::Read { .. } => &[],
        }
    }
}

struct Listing<'a> {
    file: &'a str,
    problems: &'a [Problem],
}

impl fmt::Display for Listing<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        if n > 1 {
            writeln!(f, "{} problems in {}:", n, self.file)?;
        }
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{}:{}: ", self.file, p.line, p.column)?;
            if !p.field.is_empty() {
                write!(f, "{}: ", p.field)?;
            }
            write!(f, "{}", p.message)?;
        }
        Ok(())
    }
}

/// Maps byte offsets of a text to 1-based line and column.
pub struct Locator<'a> {
    text: &'a str,
}

impl<'a> Locator<'a> {
    pub fn new(text: &'a str) -> Self {
        Locator { text }
    }

    /// (line, column) of byte `offset` (clamped into the text).
    pub fn at(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    /// A problem at `offset`.
    pub fn problem(
        &self,
        offset: usize,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Problem {
        let (line, column) = self.at(offset);
        Problem {
            line,
            column,
            field: field.into(),
            message: message.into(),
        }
    }

    /// The key (`name = …`) on the line containing `offset`, for serde errors that carry no path.
    pub fn key_on_line(&self, offset: usize) -> Option<String> {
        let offset = offset.min(self.text.len());
        let start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let end = self.text[offset..]
            .find('\n')
            .map_or(self.text.len(), |i| offset + i);
        let line = &self.text[start..end];
        // The key closest before the offset on this line (inline tables hold several).
        let col = offset - start;
        let head = &line[..col.min(line.len())];
        let eq = head.rfind('=').or_else(|| line.find('='))?;
        let key_part = &line[..eq];
        let key = key_part.rsplit(['{', ',']).next()?.trim().trim_matches('"');
        (!key.is_empty() && !key.contains('[')).then(|| key.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based() {
        let l = Locator::new("ab\ncdé\nx");
        assert_eq!(l.at(0), (1, 1));
        assert_eq!(l.at(3), (2, 1));
        assert_eq!(l.at(7), (2, 4));
        assert_eq!(l.key_on_line(4), None);
        let l = Locator::new("a = 1\nhttp = { method = 5, path = \"/\" }");
        assert_eq!(l.key_on_line(24).as_deref(), Some("method"));
    }

    #[test]
    fn display_lists_every_problem_with_its_location() {
        let e = ScenarioError::Invalid {
            file: "x.toml".into(),
            problems: vec![
                Problem {
                    line: 3,
                    column: 1,
                    field: "rate".into(),
                    message: "bad".into(),
                },
                Problem {
                    line: 9,
                    column: 5,
                    field: String::new(),
                    message: "worse".into(),
                },
            ],
        };
        assert_eq!(
            e.to_string(),
            "2 problems in x.toml:\nx.toml:3:1: rate: bad\nx.toml:9:5: worse"
        );
    }
}
