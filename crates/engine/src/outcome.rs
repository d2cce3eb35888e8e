//! Outcome classes: what became of one step. `Copy`, so the hot path never formats a message.
//!
//! The classes are appended, never reordered: files written by an older loadgen hold a shorter
//! prefix of [`Outcome::ALL`] and read as zeros for the classes they did not know.

/// The class of a step's result. Errors become one of these at once; counting needs no string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Outcome {
    /// The step did what was expected.
    Success = 0,
    /// The target correctly rejected a request built to fail (a declined card answered 402).
    ExpectedFailure,
    /// An HTTP 4xx answer that was not expected.
    Http4xx,
    /// An HTTP 5xx answer.
    Http5xx,
    /// Any other unexpected status (1xx/3xx where a final 2xx was expected).
    HttpOther,
    /// No answer within the request (or connect) timeout.
    Timeout,
    /// The connection could not be opened (refused, unreachable, name not resolved).
    Connect,
    /// The connection was reset or closed before a complete answer.
    Reset,
    /// The TLS handshake failed.
    Tls,
    /// The peer spoke something that is not the protocol (garbage, bad framing).
    Protocol,
    /// The answer arrived but a check on it (body contains, JSON field) failed.
    CheckFailed,
    /// A database refused a duplicate key (SQLSTATE 23505).
    UniqueViolation,
    /// A database aborted a transaction that could not be serialised (SQLSTATE 40001).
    SerializationFailure,
    /// A database broke a deadlock by aborting this transaction (SQLSTATE 40P01).
    Deadlock,
    /// A lock could not be taken in time (SQLSTATE 55P03).
    LockTimeout,
    /// The server cancelled a statement that ran past its timeout (SQLSTATE 57014).
    StatementTimeout,
    /// The server refused the connection: too many clients (SQLSTATE 53300).
    TooManyConnections,
    /// Any other database error (its SQLSTATE is kept beside it as a code).
    DbError,
    /// A Redis error reply `-ERR`, or one whose prefix has no class of its own (kept as a code).
    RedisError,
    /// A Redis `-WRONGTYPE` reply: the key holds another type.
    RedisWrongType,
    /// A Redis `-OOM` reply: `maxmemory` reached.
    RedisOom,
    /// A Redis `-LOADING` reply: the server is loading its data set.
    RedisLoading,
    /// A Redis `-BUSY` reply: a script is running.
    RedisBusy,
    /// A Redis `-NOAUTH` or `-WRONGPASS` reply: authentication needed or refused.
    RedisNoAuth,
}

impl Outcome {
    /// Number of classes; arrays indexed by `outcome as usize` have this length.
    pub const COUNT: usize = 24;

    /// Every class, in index order.
    pub const ALL: [Outcome; Self::COUNT] = [
        Outcome::Success,
        Outcome::ExpectedFailure,
        Outcome::Http4xx,
        Outcome::Http5xx,
        Outcome::HttpOther,
        Outcome::Timeout,
        Outcome::Connect,
        Outcome::Reset,
        Outcome::Tls,
        Outcome::Protocol,
        Outcome::CheckFailed,
        Outcome::UniqueViolation,
        Outcome::SerializationFailure,
        Outcome::Deadlock,
        Outcome::LockTimeout,
        Outcome::StatementTimeout,
        Outcome::TooManyConnections,
        Outcome::DbError,
        Outcome::RedisError,
        Outcome::RedisWrongType,
        Outcome::RedisOom,
        Outcome::RedisLoading,
        Outcome::RedisBusy,
        Outcome::RedisNoAuth,
    ];

    /// Stable lower-case name used in reports and metric keys.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::ExpectedFailure => "expected_failure",
            Outcome::Http4xx => "http_4xx",
            Outcome::Http5xx => "http_5xx",
            Outcome::HttpOther => "http_other",
            Outcome::Timeout => "timeout",
            Outcome::Connect => "connect",
            Outcome::Reset => "reset",
            Outcome::Tls => "tls",
            Outcome::Protocol => "protocol",
            Outcome::CheckFailed => "check_failed",
            Outcome::UniqueViolation => "unique_violation",
            Outcome::SerializationFailure => "serialization_failure",
            Outcome::Deadlock => "deadlock",
            Outcome::LockTimeout => "lock_timeout",
            Outcome::StatementTimeout => "statement_timeout",
            Outcome::TooManyConnections => "too_many_connections",
            Outcome::DbError => "db_error",
            Outcome::RedisError => "redis_error",
            Outcome::RedisWrongType => "redis_wrongtype",
            Outcome::RedisOom => "redis_oom",
            Outcome::RedisLoading => "redis_loading",
            Outcome::RedisBusy => "redis_busy",
            Outcome::RedisNoAuth => "redis_noauth",
        }
    }

    /// Parses a name produced by [`Outcome::name`].
    pub fn from_name(name: &str) -> Option<Outcome> {
        Self::ALL.into_iter().find(|o| o.name() == name)
    }

    /// True when the target answered, whatever the answer said (a status, an error reply, a
    /// check that failed on the answer): everything but the network and protocol faults
    /// (`timeout`, `connect`, `reset`, `tls`, `protocol`).
    pub fn is_answer(self) -> bool {
        !matches!(
            self,
            Outcome::Timeout | Outcome::Connect | Outcome::Reset | Outcome::Tls | Outcome::Protocol
        )
    }

    /// True for everything but success and expected failure.
    pub fn is_error(self) -> bool {
        !matches!(self, Outcome::Success | Outcome::ExpectedFailure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_indices_match() {
        for (i, o) in Outcome::ALL.into_iter().enumerate() {
            assert_eq!(o as usize, i);
            assert_eq!(Outcome::from_name(o.name()), Some(o));
        }
        assert!(!Outcome::ExpectedFailure.is_error());
        assert!(Outcome::CheckFailed.is_error());
    }
}
