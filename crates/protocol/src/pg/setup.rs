//! The run-once setup of PostgreSQL workloads: each `[workload.postgres] setup` list runs
//! before the load, in workload order, on a connection of its own.

use super::spec::PgWorkload;
use crate::http_defaults::HttpDefaults;

/// Runs `w`'s setup statements (nothing when it has none).
pub(crate) fn run(w: &PgWorkload, http: &HttpDefaults) -> Result<(), loadgen_pg::PgError> {
    if w.setup.is_empty() {
        return Ok(());
    }
    let cfg = loadgen_pg::PgConfig {
        url: w.url.clone(),
        tls: http.tls_for(w.url.host()),
        connect_timeout: w.connect_timeout,
        step_timeout: w.timeout,
    };
    loadgen_pg::run_setup_blocking(&cfg, &w.setup)
}
