//! `sql = {…}` / `transaction = […]` steps and `[workload.postgres]` checked, every problem
//! under its field (`workload[0].step[1].sql.params[2]`).

use super::raw::{RawPostgres, RawSql};
use super::spec::{PgStepSpec, PgWorkload, SqlSpec};
use crate::http::capture::is_identifier;
use crate::raw::RawStep;
use loadgen_grammar::check::{Checker, S};
use loadgen_pg::{DbUrl, Isolation, Rows, Sql};
use loadgen_template::{Named, Place, Template};
use std::time::Duration;

/// Default limit on connect + TLS + authentication.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default limit on one step: a hung server shows as `timeout`, not as VUs that never return.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// True when the step uses a PostgreSQL key.
pub(crate) fn is_sql(s: &RawStep) -> bool {
    s.sql.is_some() || s.transaction.is_some()
}

/// The SQL step `s`, every problem reported under `field` (`workload[0].step[1]`).
pub(crate) fn step(c: &mut Checker<'_>, s: &RawStep, field: &str) -> Option<PgStepSpec> {
    let mut ok = true;
    if let Some(http) = &s.http {
        c.at(
            http,
            format!("{field}.http"),
            "a step is one of sql, transaction or http, not several",
        );
        ok = false;
    }
    let (raw, transaction): (Vec<(&S<RawSql>, String)>, bool) = match (&s.sql, &s.transaction) {
        (Some(one), None) => (vec![(one, format!("{field}.sql"))], false),
        (None, Some(list)) => {
            if list.get_ref().is_empty() {
                c.at(
                    list,
                    format!("{field}.transaction"),
                    "a transaction needs at least one statement",
                );
                ok = false;
            }
            let items = list
                .get_ref()
                .iter()
                .enumerate()
                .map(|(k, q)| (q, format!("{field}.transaction[{k}]")))
                .collect();
            (items, true)
        }
        (Some(one), Some(_)) => {
            c.at(
                one,
                format!("{field}.sql"),
                "give sql = {…} or transaction = […], not both",
            );
            return None;
        }
        (None, None) => return None,
    };
    let statements: Vec<SqlSpec> = raw
        .iter()
        .filter_map(|(q, f)| {
            let spec = statement(c, q.get_ref(), f);
            ok &= spec.is_some();
            spec
        })
        .collect();
    let isolation = match &s.isolation {
        Some(i) if !transaction => {
            c.at(
                i,
                format!("{field}.isolation"),
                "isolation applies to a transaction = […] step",
            );
            None
        }
        Some(i) => Isolation::parse(i.get_ref()).or_else(|| {
            c.at(
                i,
                format!("{field}.isolation"),
                "one of \"read committed\", \"repeatable read\", \"serializable\"",
            );
            None
        }),
        None => None,
    };
    let rows = match &s.expect {
        Some(e) => expect(c, e, field),
        None => Rows::default(),
    };
    let once_per_vu = crate::http::capture::once_per_vu(c, s, field);
    let captures = captures(c, s, field);
    ok.then(|| PgStepSpec {
        name: s.name.get_ref().clone(),
        statements,
        transaction,
        isolation,
        rows,
        captures,
        once_per_vu,
    })
}

/// One statement: its text, its parameters (templates that parse, one per `$n`) and their
/// declared types (known, and a sample of each typed parameter converts).
fn statement(c: &mut Checker<'_>, q: &RawSql, field: &str) -> Option<SqlSpec> {
    if q.query.get_ref().trim().is_empty() {
        c.at(&q.query, format!("{field}.query"), "must not be empty");
        return None;
    }
    // Names not built in are feeders, payloads or captures; the build resolves them.
    let any = |_: &str| Some(Named::Capture(0));
    let mut templates = Vec::new();
    for (k, p) in q.params.iter().enumerate() {
        match Template::parse_in(p.get_ref(), Place::Text, &any) {
            Ok(t) => templates.push(t),
            Err(e) => {
                c.at(p, format!("{field}.params[{k}]"), e);
                return None;
            }
        }
    }
    let types: Vec<&str> = q.types.iter().map(|t| t.get_ref().as_str()).collect();
    let sql = match Sql::new(q.query.get_ref().clone(), templates).with_types(&types) {
        Ok(sql) => sql,
        Err(e) => {
            let at = q
                .types
                .iter()
                .find(|t| loadgen_pg::type_named(t.get_ref()).is_err());
            c.at(at.unwrap_or(&q.query), format!("{field}.types"), e);
            return None;
        }
    };
    if let Err(e) = sql.check() {
        let at = match &e {
            loadgen_pg::PgError::Convert { index, .. } => q.params.get(index - 1),
            _ => None,
        };
        c.at(at.unwrap_or(&q.query), format!("{field}.params"), e);
        return None;
    }
    Some(SqlSpec {
        query: q.query.get_ref().clone(),
        params: q.params.iter().map(|p| p.get_ref().clone()).collect(),
        types: types.iter().map(|t| t.to_string()).collect(),
    })
}

fn expect(c: &mut Checker<'_>, e: &S<crate::http::raw::RawExpect>, field: &str) -> Rows {
    let r = e.get_ref();
    if r.status.is_some()
        || r.expected_failure_status.is_some()
        || r.body_contains.is_some()
        || !r.json.is_empty()
    {
        c.at(
            e,
            format!("{field}.expect"),
            "an SQL step checks rows = N and min_rows = N (status, body and json are HTTP's)",
        );
    }
    if r.reply.is_some() || r.nil.is_some() || r.int.is_some() {
        c.at(
            e,
            format!("{field}.expect"),
            "an SQL step checks rows = N and min_rows = N (reply, nil and int are Redis steps')",
        );
    }
    Rows {
        exact: r.rows.as_ref().map(|n| *n.get_ref()),
        min: r.min_rows.as_ref().map(|n| *n.get_ref()),
    }
}

/// `capture = { NAME = { column = "id" } }`: a column of the first returned row.
fn captures(c: &mut Checker<'_>, s: &RawStep, field: &str) -> Vec<(String, String)> {
    let Some(table) = &s.capture else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, raw) in table.get_ref() {
        let field = format!("{field}.capture.{name}");
        let r = raw.get_ref();
        if !is_identifier(name) {
            c.at(
                raw,
                field,
                format!(
                    "`{name}` is not a capture name (letters, digits and `_`, not first a digit)"
                ),
            );
            continue;
        }
        match (&r.column, &r.json, &r.header, &r.cookie, &r.regex) {
            (Some(col), None, None, None, None) if !col.is_empty() => {
                out.push((name.clone(), col.clone()))
            }
            _ => c.at(
                raw,
                field,
                "an SQL step captures a column of its first row: { column = \"id\" }",
            ),
        }
    }
    out
}

/// The workload's `[workload.postgres]` with its checked steps.
pub(crate) fn workload(
    c: &mut Checker<'_>,
    raw: Option<&S<RawPostgres>>,
    name: &S<String>,
    field: &str,
    steps: Vec<PgStepSpec>,
) -> Option<PgWorkload> {
    let Some(raw) = raw else {
        c.at(
            name,
            format!("{field}.postgres"),
            "SQL steps need [workload.postgres] with url = \"${DATABASE_URL}\"",
        );
        return None;
    };
    let p = raw.get_ref();
    let url = DbUrl::parse(p.url.get_ref())
        .map_err(|e| c.at(&p.url, format!("{field}.postgres.url"), e))
        .ok();
    let connect_timeout = match &p.connect_timeout {
        Some(t) => c.duration(t, &format!("{field}.postgres.connect_timeout")),
        None => Some(CONNECT_TIMEOUT),
    };
    let timeout = match &p.timeout {
        Some(t) => c.duration(t, &format!("{field}.postgres.timeout")),
        None => Some(STEP_TIMEOUT),
    };
    for (k, s) in p.setup.iter().enumerate() {
        if s.get_ref().trim().is_empty() {
            c.at(
                s,
                format!("{field}.postgres.setup[{k}]"),
                "must not be empty",
            );
        }
    }
    Some(PgWorkload {
        url: url?,
        setup: p.setup.iter().map(|s| s.get_ref().clone()).collect(),
        connect_timeout: connect_timeout?,
        timeout,
        steps,
    })
}
