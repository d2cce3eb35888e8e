//! Error replies and faults as engine outcomes. An error reply's prefix (`WRONGTYPE`,
//! `NOSCRIPT`) is kept beside its class as a [`Code`], like an HTTP status.

use loadgen_engine::{Code, Outcome};
use redis::ServerError;
use std::io;

/// The outcome class of an error reply.
pub fn classify(e: &ServerError) -> Outcome {
    class_of(e.code())
}

fn class_of(prefix: &str) -> Outcome {
    match prefix {
        "WRONGTYPE" => Outcome::RedisWrongType,
        "OOM" => Outcome::RedisOom,
        "LOADING" => Outcome::RedisLoading,
        "BUSY" => Outcome::RedisBusy,
        "NOAUTH" | "WRONGPASS" => Outcome::RedisNoAuth,
        _ => Outcome::RedisError,
    }
}

/// The code counted beside an error reply's class: its prefix, or [`Code::OTHER`] when the
/// prefix does not pack (longer than 12 characters, or not letters and digits).
pub fn error_code(e: &ServerError) -> Code {
    Code::parse(e.code()).unwrap_or(Code::OTHER)
}

/// An I/O failure on an open connection, or while opening one (`otherwise`).
pub(crate) fn io_outcome(e: &io::Error, otherwise: Outcome) -> Outcome {
    use io::ErrorKind::*;
    match e.kind() {
        TimedOut => Outcome::Timeout,
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof | NotConnected => {
            Outcome::Reset
        }
        InvalidData => Outcome::Tls,
        _ => otherwise,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_map_to_classes() {
        for (p, o) in [
            ("ERR", Outcome::RedisError),
            ("WRONGTYPE", Outcome::RedisWrongType),
            ("OOM", Outcome::RedisOom),
            ("LOADING", Outcome::RedisLoading),
            ("BUSY", Outcome::RedisBusy),
            ("NOAUTH", Outcome::RedisNoAuth),
            ("WRONGPASS", Outcome::RedisNoAuth),
            ("NOSCRIPT", Outcome::RedisError),
            ("BUSYKEY", Outcome::RedisError),
        ] {
            assert_eq!(class_of(p), o, "{p}");
        }
    }
}
