//! The PostgreSQL slice: `sql = {…}` and `transaction = […]` steps against the database of
//! the workload's `[workload.postgres]` table (`raw`), their checks (`validate`), and the
//! engine workload they become (`build`, a `loadgen_pg::PgFactory`); `setup` runs the
//! table's run-once SQL before the load.
//!
//! ```toml
//! [[workload]]
//! name = "writes"
//! model = "open"
//! rate = "100/s"
//! max_vus = 50
//!
//!   [workload.postgres]
//!   url = "${DATABASE_URL:-postgres://loadgen:loadgen@127.0.0.1:55432/loadgen}"
//!   setup = ["CREATE TABLE IF NOT EXISTS payments (id uuid PRIMARY KEY, amount bigint, currency text)"]
//!
//!   [[workload.step]]
//!   name = "insert-payment"
//!   sql = { query = "INSERT INTO payments VALUES ($1, $2, $3) RETURNING id", params = ["{{uuid}}", "{{payment.amount}}", "{{payment.currency}}"] }
//!   expect = { rows = 1 }
//!   capture = { paid = { column = "id" } }
//! ```

pub(crate) mod build;
pub(crate) mod raw;
pub(crate) mod setup;
mod spec;
pub(crate) mod validate;
mod values;

pub use spec::{PgStepSpec, PgWorkload, SqlSpec};

/// Where a PostgreSQL step can capture a value: a column of the first returned row.
pub const CAPTURE_FROM: [&str; 1] = ["column"];
