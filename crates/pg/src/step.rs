//! What a PostgreSQL workload runs: statements with templated parameters, transactions of
//! them, the checks on their results and the captures from their first row.

use crate::error::PgError;
use crate::types::{converts, type_named};
use bytes::BytesMut;
use loadgen_template::{RunNonce, Template, Vars};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use tokio_postgres::types::Type;

/// What a statement's result must satisfy: the rows it returned (a `SELECT`, `RETURNING`) or
/// touched (`INSERT`, `UPDATE`, `DELETE`: the count in the command tag). A miss is
/// `check_failed`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rows {
    /// Exactly this many.
    pub exact: Option<u64>,
    /// At least this many.
    pub min: Option<u64>,
}

impl Rows {
    pub(crate) fn holds(&self, n: u64) -> bool {
        self.exact.is_none_or(|e| e == n) && self.min.is_none_or(|m| n >= m)
    }
}

/// A value taken from the first returned row, by column name, into a capture slot that later
/// statements render as `{{name}}`. No row, a NULL or an empty value is a miss: the step
/// fails its check and the rest of the iteration is not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowCapture {
    /// The column (as the statement names it: `RETURNING id`, `SELECT balance AS b`).
    pub column: String,
    /// The slot it fills (the order of capture names in the workload).
    pub slot: usize,
}

/// One SQL statement, prepared once per connection.
#[derive(Debug, Clone)]
pub struct Sql {
    pub(crate) query: String,
    pub(crate) types: Vec<Type>,
    pub(crate) params: Vec<Template>,
    pub(crate) expect: Rows,
    pub(crate) captures: Vec<RowCapture>,
}

impl Sql {
    /// `query` with `$1…$n` bound to `params`, rendered per execution.
    pub fn new(query: impl Into<String>, params: Vec<Template>) -> Sql {
        Sql {
            query: query.into(),
            types: Vec::new(),
            params,
            expect: Rows::default(),
            captures: Vec::new(),
        }
    }

    /// Declares the types of the first parameters (the server infers the rest).
    pub fn with_types(mut self, names: &[&str]) -> Result<Sql, PgError> {
        self.types = names
            .iter()
            .map(|n| type_named(n))
            .collect::<Result<_, _>>()?;
        Ok(self)
    }

    /// The check on the result.
    pub fn with_expect(mut self, rows: Rows) -> Sql {
        self.expect = rows;
        self
    }

    /// Adds a capture from the first returned row.
    pub fn with_capture(mut self, capture: RowCapture) -> Sql {
        self.captures.push(capture);
        self
    }

    /// The statement text.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// What can be known before a run: the parameters match the `$n` placeholders, and a
    /// sample of each typed parameter converts to its type. Parameters rendering a capture are
    /// not sampled (their values come from the run).
    pub fn check(&self) -> Result<(), PgError> {
        let wanted = highest_placeholder(&self.query);
        if wanted != self.params.len() || self.types.len() > self.params.len() {
            return Err(PgError::Params {
                query: self.query.clone(),
                placeholders: wanted,
                params: self.params.len(),
                types: self.types.len(),
            });
        }
        let mut rng = SmallRng::seed_from_u64(0);
        let mut buf = BytesMut::new();
        for (i, (ty, param)) in self.types.iter().zip(&self.params).enumerate() {
            let slots = loadgen_http::Slots::new(0);
            let mut vars =
                Vars::new(RunNonce::CHECK, 0, 0, 0, "check", &mut rng).with_captures(&slots);
            let sample = param.render(&mut vars, &mut buf);
            if vars.refused() {
                continue;
            }
            let sample = String::from_utf8_lossy(&sample);
            if !converts(ty, &sample) {
                return Err(PgError::Convert {
                    index: i + 1,
                    query: self.query.clone(),
                    sample: sample.into_owned(),
                    ty: ty.name().to_owned(),
                });
            }
        }
        Ok(())
    }
}

/// The highest `$n` in `query` outside quoted text, identifiers and comments.
pub(crate) fn highest_placeholder(query: &str) -> usize {
    let b = query.as_bytes();
    let (mut i, mut highest) = (0, 0);
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'$' => {
                let start = i + 1;
                let mut end = start;
                while end < b.len() && b[end].is_ascii_digit() {
                    end += 1;
                }
                if let Ok(n) = query[start..end].parse::<usize>() {
                    highest = highest.max(n);
                }
                i = end.max(i + 1) - 1;
            }
            _ => {}
        }
        i += 1;
    }
    highest
}

/// A transaction's isolation level (`BEGIN ISOLATION LEVEL …`); the server's default when
/// not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// `READ COMMITTED`.
    ReadCommitted,
    /// `REPEATABLE READ`.
    RepeatableRead,
    /// `SERIALIZABLE`.
    Serializable,
}

impl Isolation {
    /// Parses `read committed`, `repeatable read` or `serializable` (any case, `_` or space).
    pub fn parse(text: &str) -> Option<Isolation> {
        match text.trim().to_ascii_lowercase().replace('_', " ").as_str() {
            "read committed" => Some(Isolation::ReadCommitted),
            "repeatable read" => Some(Isolation::RepeatableRead),
            "serializable" => Some(Isolation::Serializable),
            _ => None,
        }
    }

    pub(crate) fn begin(isolation: Option<Isolation>) -> &'static str {
        match isolation {
            None => "BEGIN",
            Some(Isolation::ReadCommitted) => "BEGIN ISOLATION LEVEL READ COMMITTED",
            Some(Isolation::RepeatableRead) => "BEGIN ISOLATION LEVEL REPEATABLE READ",
            Some(Isolation::Serializable) => "BEGIN ISOLATION LEVEL SERIALIZABLE",
        }
    }
}

/// What one step does.
#[derive(Debug, Clone)]
pub enum StepKind {
    /// One statement, in its own implicit transaction.
    Sql(Sql),
    /// `BEGIN`, the statements, `COMMIT`: one step, each statement also timed apart (a trend
    /// per statement, like pgbench `-r`). A failure rolls back and fails the step.
    Transaction {
        /// The isolation level.
        isolation: Option<Isolation>,
        /// The statements, in order.
        statements: Vec<Sql>,
    },
}

/// One step of a PostgreSQL workload.
#[derive(Debug, Clone)]
pub struct PgStep {
    /// The step name (reports, thresholds).
    pub name: String,
    /// What it runs.
    pub kind: StepKind,
    /// `scope = "vu"`: run in the VU's first iteration, and in the next ones only until it
    /// has succeeded; then passed over (not run, not counted), its captures kept for every
    /// later iteration of the VU (a VU's account id, read once).
    pub once_per_vu: bool,
}

impl PgStep {
    /// The statements it runs, in order.
    pub fn statements(&self) -> &[Sql] {
        match &self.kind {
            StepKind::Sql(s) => std::slice::from_ref(s),
            StepKind::Transaction { statements, .. } => statements,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_outside_quotes_and_comments_are_counted() {
        assert_eq!(highest_placeholder("SELECT 1"), 0);
        assert_eq!(highest_placeholder("INSERT INTO t VALUES ($1, $3, $2)"), 3);
        assert_eq!(highest_placeholder("SELECT '$9', \"$8\" -- $7\n, $1"), 1);
        assert_eq!(highest_placeholder("SELECT $1::int + $12"), 12);
    }

    #[test]
    fn check_refuses_counts_and_samples_that_cannot_work() {
        let t = |s: &str| Template::parse(s).unwrap();
        let ok = Sql::new("SELECT $1::int8", vec![t("{{random_int(1,9)}}")])
            .with_types(&["int8"])
            .unwrap();
        ok.check().unwrap();
        let e = Sql::new("SELECT $1, $2", vec![t("1")]).check().unwrap_err();
        assert!(e.to_string().contains("2 placeholders"), "{e}");
        let e = Sql::new("SELECT $1", vec![t("{{uuid}}")])
            .with_types(&["bigint"])
            .unwrap()
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("not a valid int8"), "{e}");
        assert!(Isolation::parse("Repeatable_Read").is_some());
        assert!(Rows {
            exact: Some(1),
            min: None
        }
        .holds(1));
        assert!(!Rows {
            exact: None,
            min: Some(2)
        }
        .holds(1));
    }
}
