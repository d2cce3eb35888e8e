//! Turning errors into outcome classes, at once and without formatting anything.
//!
//! | seen                                                        | outcome    |
//! |-------------------------------------------------------------|------------|
//! | hyper parse error, HTTP/2 protocol error, invalid data      | `Protocol` |
//! | reset / aborted / broken pipe / unexpected EOF, hyper "incomplete message", "closed", "canceled", HTTP/2 `RST_STREAM` or `GOAWAY` from the peer | `Reset` |
//! | refused, unreachable, address not available                 | `Connect`  |
//! | a `rustls` error anywhere in the chain                      | `Tls`      |
//! | an OS or hyper timeout                                      | `Timeout`  |
//!
//! The session classifies by phase first: any failure to resolve or open the TCP connection
//! is `Connect`, any failure of the TLS handshake is `Tls`, and only errors after that go
//! through [`classify`]. An io error alone goes through [`classify_io`] (`loadgen-tls`'s,
//! re-exported: the lean HTTP/2 wire below this crate classifies with it too).

use h2::Reason;
use loadgen_engine::Outcome;
pub use loadgen_tls::classify_io;
use std::error::Error as StdError;
use std::io;

/// Classifies an error from an established connection by walking its source chain.
pub fn classify(err: &(dyn StdError + 'static)) -> Outcome {
    let mut fallback = Outcome::Protocol;
    let mut cur = Some(err);
    while let Some(e) = cur {
        if let Some(h) = e.downcast_ref::<hyper::Error>() {
            if h.is_timeout() {
                return Outcome::Timeout;
            }
            if h.is_parse() {
                return Outcome::Protocol;
            }
            if h.is_incomplete_message()
                || h.is_closed()
                || h.is_canceled()
                || h.is_body_write_aborted()
            {
                // A more precise cause (an io error) may follow in the chain.
                fallback = Outcome::Reset;
            }
        } else if let Some(h2e) = e.downcast_ref::<h2::Error>() {
            return classify_h2_error(h2e);
        } else if let Some(io) = e.downcast_ref::<io::Error>() {
            return classify_io(io);
        } else if e.is::<rustls::Error>() {
            return Outcome::Tls;
        }
        cur = e.source();
    }
    fallback
}

/// Classifies an error of an `h2` stream or connection (io errors included).
pub(crate) fn classify_h2_error(e: &h2::Error) -> Outcome {
    match e.get_io() {
        Some(io) => classify_io(io),
        None => classify_h2(e),
    }
}

fn classify_h2(e: &h2::Error) -> Outcome {
    let protocol_fault = matches!(
        e.reason(),
        Some(
            Reason::PROTOCOL_ERROR
                | Reason::FRAME_SIZE_ERROR
                | Reason::COMPRESSION_ERROR
                | Reason::FLOW_CONTROL_ERROR
        )
    );
    if (e.is_reset() || e.is_go_away()) && e.is_remote() && !protocol_fault {
        Outcome::Reset
    } else {
        Outcome::Protocol
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_kinds_inside_the_chain() {
        let c = |k| classify(&io::Error::from(k));
        assert_eq!(c(io::ErrorKind::ConnectionReset), Outcome::Reset);
        assert_eq!(c(io::ErrorKind::UnexpectedEof), Outcome::Reset);
        assert_eq!(c(io::ErrorKind::BrokenPipe), Outcome::Reset);
        assert_eq!(c(io::ErrorKind::ConnectionRefused), Outcome::Connect);
        assert_eq!(c(io::ErrorKind::TimedOut), Outcome::Timeout);
        assert_eq!(c(io::ErrorKind::InvalidData), Outcome::Protocol);
    }

    #[test]
    fn tls_inside_io() {
        let e = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        assert_eq!(classify(&e), Outcome::Tls);
        assert_eq!(classify_io(&e), Outcome::Tls);
    }

    #[test]
    fn h2_reasons() {
        let refused = h2::Error::from(Reason::REFUSED_STREAM);
        // Locally made reasons (not from the peer) are protocol faults.
        assert_eq!(classify(&refused), Outcome::Protocol);
    }
}
