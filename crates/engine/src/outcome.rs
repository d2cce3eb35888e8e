//! Outcome classes: what became of one step. `Copy`, so the hot path never formats a message.

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
}

impl Outcome {
    /// Number of classes; arrays indexed by `outcome as usize` have this length.
    pub const COUNT: usize = 11;

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
        }
    }

    /// Parses a name produced by [`Outcome::name`].
    pub fn from_name(name: &str) -> Option<Outcome> {
        Self::ALL.into_iter().find(|o| o.name() == name)
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
