//! A scenario's run-once setup: SQL run before the load (create the table, seed rows), on a
//! connection of its own.

use crate::connect::Connector;
use crate::error::PgError;
use crate::session::PgConfig;

/// Runs `statements` in order, each as a simple query (several `;`-separated commands may
/// share one). Statements should be idempotent (`CREATE TABLE IF NOT EXISTS`, `INSERT … ON
/// CONFLICT DO NOTHING`): a setup runs before every run.
pub async fn run_setup(config: &PgConfig, statements: &[String]) -> Result<(), PgError> {
    let connector = Connector::new(&config.url, &config.tls, config.connect_timeout)?;
    let (conn, _) = connector.connect().await.map_err(|(outcome, code)| {
        let code = code.map(|c| format!(" (SQLSTATE {c})")).unwrap_or_default();
        PgError::Setup(format!(
            "cannot connect to {}: {}{code}",
            config.url,
            outcome.name()
        ))
    })?;
    for s in statements {
        conn.client.batch_execute(s).await.map_err(|e| {
            let why = e.as_db_error().map_or_else(
                || e.to_string(),
                |d| format!("{} ({})", d.message(), d.code().code()),
            );
            PgError::Setup(format!("`{}`: {why}", s.trim()))
        })?;
    }
    Ok(())
}

/// [`run_setup`] from synchronous code, on a thread and runtime of its own (safe inside or
/// outside another runtime).
pub fn run_setup_blocking(config: &PgConfig, statements: &[String]) -> Result<(), PgError> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| PgError::Setup(format!("no runtime: {e}")))?;
                rt.block_on(run_setup(config, statements))
            })
            .join()
            .unwrap_or_else(|_| Err(PgError::Setup("the setup thread panicked".to_owned())))
    })
}
