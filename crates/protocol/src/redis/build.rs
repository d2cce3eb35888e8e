//! A checked Redis workload → the engine workload: a `RedisConfig` with `[http]`'s TLS trust
//! for `rediss://`, and each step's arguments parsed as templates (feeder columns resolved).

use super::spec::RedisWorkload;
use crate::context::{BuildContext, BuildError};
use loadgen_engine::Workload;
use loadgen_payload::feeder::Column;
use loadgen_redis::{RedisConfig, RedisFactory, Step};
use loadgen_template::{Named, Place, Template};
use std::sync::Arc;

/// Builds a Redis workload.
pub(crate) fn build(w: &RedisWorkload, ctx: &BuildContext<'_>) -> Result<Workload, BuildError> {
    let err = |source: Box<dyn std::error::Error + Send + Sync>| BuildError::Protocol {
        workload: ctx.workload.to_string(),
        source,
    };
    let vus = ctx.schedule.max_vus();
    let lookup = |name: &str| -> Option<Named> {
        let (feeder, column) = name.split_once('.')?;
        let f = ctx.feeders.iter().find(|f| f.name == feeder)?;
        let column = f.columns.iter().position(|c| c == column)?;
        Some(Named::Value(Arc::new(Column {
            feeder: f.clone(),
            column,
            vus,
            seed: ctx.seed,
            per_vu: false,
        })))
    };
    let mut steps = Vec::with_capacity(w.steps.len());
    for s in &w.steps {
        let mut commands = Vec::with_capacity(s.commands.len());
        for args in &s.commands {
            let parsed = args
                .iter()
                .map(|a| Template::parse_in(a, Place::Text, &lookup))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| err(Box::new(e)))?;
            commands.push(parsed);
        }
        let step = match (s.pipeline, commands.len()) {
            (false, 1) => Step::command(&s.name, commands.remove(0)),
            _ => Step::pipeline(&s.name, commands),
        }
        .map_err(|e| err(Box::new(e)))?;
        steps.push(step.with_expect(s.expect.clone()));
    }
    let mut cfg = RedisConfig::new(w.url.clone(), steps);
    cfg.tls = ctx.http.tls_for(&w.url.host);
    cfg.timeout = w.timeout;
    cfg.connect_timeout = w.connect_timeout;
    let factory = RedisFactory::new(cfg).map_err(|e| err(Box::new(e)))?;
    let names = w.steps.iter().map(|s| s.name.clone()).collect();
    Ok(ctx.workload(names, factory, loadgen_redis::metrics::custom_metrics()))
}
