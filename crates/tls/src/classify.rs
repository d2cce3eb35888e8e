//! An I/O error of an established client connection as an engine outcome, at once and
//! without formatting anything: here because the one thing it must look for beyond the
//! error's kind is a `rustls` error inside it (a TLS alert or a bad record mid-connection),
//! and because the crates below `loadgen-http` that read a [`ClientStream`](crate::ClientStream)
//! (the lean HTTP/2 wire) must classify as the HTTP path does (`loadgen_http::classify_io`
//! is this function).

use loadgen_engine::Outcome;
use std::io;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Reads part of an answer into `into` (how much was read): an end of stream before the
/// answer is complete is `Reset`, an I/O error is classified by [`classify_io`]. Both lean
/// wires read their answers with it, over a TCP stream or a [`ClientStream`](crate::ClientStream).
#[inline]
pub async fn read_answer<S: AsyncRead + Unpin>(
    io: &mut S,
    into: &mut [u8],
) -> Result<usize, Outcome> {
    match io.read(into).await {
        Ok(0) => Err(Outcome::Reset),
        Ok(n) => Ok(n),
        Err(e) => Err(classify_io(&e)),
    }
}

/// Classifies an I/O error seen on an established connection.
///
/// | seen                                                           | outcome    |
/// |----------------------------------------------------------------|------------|
/// | a `rustls` error inside                                        | `Tls`      |
/// | reset / aborted / broken pipe / unexpected EOF / not connected | `Reset`    |
/// | refused, unreachable, address not available                    | `Connect`  |
/// | timed out                                                      | `Timeout`  |
/// | invalid data or input                                          | `Protocol` |
/// | anything else                                                  | `Reset`    |
pub fn classify_io(e: &io::Error) -> Outcome {
    use io::ErrorKind::*;
    if e.get_ref().is_some_and(|i| i.is::<rustls::Error>()) {
        return Outcome::Tls;
    }
    match e.kind() {
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof | NotConnected => {
            Outcome::Reset
        }
        ConnectionRefused | AddrNotAvailable | HostUnreachable | NetworkUnreachable => {
            Outcome::Connect
        }
        TimedOut => Outcome::Timeout,
        InvalidData | InvalidInput => Outcome::Protocol,
        _ => Outcome::Reset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_kinds() {
        let c = |k| classify_io(&io::Error::from(k));
        assert_eq!(c(io::ErrorKind::ConnectionReset), Outcome::Reset);
        assert_eq!(c(io::ErrorKind::UnexpectedEof), Outcome::Reset);
        assert_eq!(c(io::ErrorKind::BrokenPipe), Outcome::Reset);
        assert_eq!(c(io::ErrorKind::ConnectionRefused), Outcome::Connect);
        assert_eq!(c(io::ErrorKind::TimedOut), Outcome::Timeout);
        assert_eq!(c(io::ErrorKind::InvalidData), Outcome::Protocol);
        assert_eq!(c(io::ErrorKind::Other), Outcome::Reset);
    }

    #[test]
    fn tls_inside_io() {
        let e = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        assert_eq!(classify_io(&e), Outcome::Tls);
    }
}
