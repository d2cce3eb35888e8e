//! A PostgreSQL error as an outcome class and a SQLSTATE code, without formatting anything.
//!
//! | SQLSTATE                     | outcome                 |
//! |------------------------------|-------------------------|
//! | `23505`                      | `unique_violation`      |
//! | `40001`                      | `serialization_failure` |
//! | `40P01`                      | `deadlock`              |
//! | `55P03`                      | `lock_timeout`          |
//! | `57014`                      | `statement_timeout`     |
//! | `53300`                      | `too_many_connections`  |
//! | `57P01`, `57P02`, class `08` | `reset` (the server ended the connection: `pg_terminate_backend`, shutdown) |
//! | `57P03`, class `28`, `3D000` | `connect` (starting up, authentication failed, no such database) |
//! | any other                    | `db_error`              |
//!
//! The SQLSTATE is kept beside the class as a [`Code`]. Errors without one: a closed connection
//! is `reset`, a failed handshake `tls`, an io error as HTTP classifies it, anything else
//! (a message the client did not expect) `protocol`.

use crate::tls::HandshakeFailed;
use loadgen_engine::{Code, Outcome};
use std::error::Error as _;

/// The class of `e`, and its SQLSTATE when the server sent one.
pub fn classify(e: &tokio_postgres::Error) -> (Outcome, Option<Code>) {
    if let Some(db) = e.as_db_error() {
        let state = db.code().code();
        return (sqlstate_outcome(state), Code::parse(state));
    }
    if e.is_closed() {
        return (Outcome::Reset, None);
    }
    let mut cur = e.source();
    while let Some(err) = cur {
        if err.is::<HandshakeFailed>() || err.is::<rustls::Error>() {
            return (Outcome::Tls, None);
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return (loadgen_http::classify_io(io), None);
        }
        cur = err.source();
    }
    (Outcome::Protocol, None)
}

/// The class of a SQLSTATE.
pub fn sqlstate_outcome(state: &str) -> Outcome {
    match state {
        "23505" => Outcome::UniqueViolation,
        "40001" => Outcome::SerializationFailure,
        "40P01" => Outcome::Deadlock,
        "55P03" => Outcome::LockTimeout,
        "57014" => Outcome::StatementTimeout,
        "53300" => Outcome::TooManyConnections,
        "57P01" | "57P02" => Outcome::Reset,
        "57P03" | "3D000" => Outcome::Connect,
        s if s.starts_with("08") => Outcome::Reset,
        s if s.starts_with("28") => Outcome::Connect,
        _ => Outcome::DbError,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_map_to_their_classes() {
        for (state, outcome) in [
            ("23505", Outcome::UniqueViolation),
            ("40001", Outcome::SerializationFailure),
            ("40P01", Outcome::Deadlock),
            ("55P03", Outcome::LockTimeout),
            ("57014", Outcome::StatementTimeout),
            ("53300", Outcome::TooManyConnections),
            ("57P01", Outcome::Reset),
            ("08006", Outcome::Reset),
            ("28P01", Outcome::Connect),
            ("22P02", Outcome::DbError),
            ("42P01", Outcome::DbError),
        ] {
            assert_eq!(sqlstate_outcome(state), outcome, "{state}");
            assert_eq!(
                Code::parse(state).map(|c| c.to_string()).as_deref(),
                Some(state)
            );
        }
    }
}
