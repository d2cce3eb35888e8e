//! A checked PostgreSQL workload → the engine workload (a `loadgen_pg::PgFactory` session
//! per VU), and its run-once setup.

use super::spec::{PgStepSpec, PgWorkload};
use super::values::{PaymentField, FIELDS};
use crate::context::{BuildContext, BuildError};
use loadgen_engine::Workload;
use loadgen_payload::feeder::Column;
use loadgen_pg::{PgConfig, PgFactory, PgStep, RowCapture, Sql, StepKind};
use loadgen_template::{Named, Place, Template};
use std::sync::Arc;

/// The engine workload: `[http]`'s trust options apply to the database's TLS too.
pub(crate) fn build(w: &PgWorkload, ctx: &BuildContext<'_>) -> Result<Workload, BuildError> {
    let err = |source: Box<dyn std::error::Error + Send + Sync>| BuildError::Protocol {
        workload: ctx.workload.to_string(),
        source,
    };
    let slots = w.capture_names();
    let steps = w
        .steps
        .iter()
        .map(|s| step(ctx, s, &slots))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(Box::new(e)))?;
    let factory =
        PgFactory::new(&config(w, ctx), steps, slots.len()).map_err(|e| err(Box::new(e)))?;
    let names = w.steps.iter().map(|s| s.name.clone()).collect();
    Ok(ctx.workload(names, factory, w.custom_metrics()))
}

/// How the sessions reach the database.
fn config(w: &PgWorkload, ctx: &BuildContext<'_>) -> PgConfig {
    PgConfig {
        url: w.url.clone(),
        tls: ctx.http.tls_for(w.url.host()),
        connect_timeout: w.connect_timeout,
        step_timeout: w.timeout,
    }
}

fn step(
    ctx: &BuildContext<'_>,
    s: &PgStepSpec,
    slots: &[&str],
) -> Result<PgStep, loadgen_pg::PgError> {
    let vus = ctx.schedule.max_vus();
    let lookup = |name: &str| -> Option<Named> {
        if let Some(slot) = slots.iter().position(|n| *n == name) {
            return Some(Named::Capture(slot));
        }
        let (source, field) = name.split_once('.')?;
        if let Some(f) = ctx.feeders.iter().find(|f| f.name == source) {
            let column = f.columns.iter().position(|c| c == field)?;
            return Some(Named::Value(Arc::new(Column {
                feeder: f.clone(),
                column,
                vus,
                seed: ctx.seed,
                per_vu: false,
            })));
        }
        let generator = ctx.payloads.iter().find(|p| p.name == source)?;
        let field = FIELDS.iter().position(|f| *f == field)?;
        Some(Named::Value(Arc::new(PaymentField {
            generator: generator.clone(),
            field,
            seed: ctx.seed,
        })))
    };
    let last = s.statements.len().saturating_sub(1);
    let mut statements = Vec::with_capacity(s.statements.len());
    for (k, q) in s.statements.iter().enumerate() {
        let params = q
            .params
            .iter()
            .enumerate()
            .map(|(i, p)| {
                Template::parse_in(p, Place::Text, &lookup).map_err(|source| {
                    loadgen_pg::PgError::Param {
                        index: i + 1,
                        query: q.query.clone(),
                        source,
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let types: Vec<&str> = q.types.iter().map(String::as_str).collect();
        let mut sql = Sql::new(q.query.clone(), params).with_types(&types)?;
        // Checks and captures read the step's last statement.
        if k == last {
            sql = sql.with_expect(s.rows);
            for (name, column) in &s.captures {
                let slot = slots.iter().position(|n| n == name).unwrap_or_default();
                sql = sql.with_capture(RowCapture {
                    column: column.clone(),
                    slot,
                });
            }
        }
        statements.push(sql);
    }
    let kind = match (s.transaction, statements.len()) {
        (false, 1) => StepKind::Sql(statements.remove(0)),
        _ => StepKind::Transaction {
            isolation: s.isolation,
            statements,
        },
    };
    Ok(PgStep {
        name: s.name.clone(),
        kind,
        once_per_vu: s.once_per_vu,
    })
}
