//! `loadgen ctl URL COMMAND`: one control request to a running dashboard, token in a header;
//! over HTTPS only to the certificate whose fingerprint was printed beside the URL.

use crate::error::DashboardError;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// How long `ctl` waits for the dashboard: to connect, then for the whole answer.
const CTL_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `command` (`pause`, `resume`, `scale 2`, `vus 10`, `stop`) to the dashboard at `url`
/// with `token`; returns its answer (`scale 2 at 3.150s`). An `https://` URL needs `tls`: a
/// connector that accepts only the dashboard's certificate (its printed fingerprint).
pub fn ctl(
    url: &str,
    token: &str,
    command: &str,
    tls: Option<&tokio_rustls::TlsConnector>,
) -> Result<String, DashboardError> {
    crate::server::parse_command(command)
        .map_err(|body| DashboardError::Refused { status: 400, body })?;
    let (secure, rest) = match (url.strip_prefix("http://"), url.strip_prefix("https://")) {
        (Some(rest), _) => (false, rest),
        (_, Some(rest)) => (true, rest),
        _ => return Err(DashboardError::BadUrl(url.to_string())),
    };
    let host = rest.split(['/', '#', '?']).next().unwrap_or_default();
    if host.is_empty() {
        return Err(DashboardError::BadUrl(url.to_string()));
    }
    let connector = match (secure, tls) {
        (true, None) => return Err(DashboardError::NoPin(url.to_string())),
        (true, Some(c)) => Some(c),
        (false, _) => None,
    };
    let unreachable = |error| DashboardError::Unreachable {
        addr: host.to_string(),
        error,
    };
    let request = format!(
        "POST /control HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {token}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{command}",
        command.len()
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(unreachable)?;
    let reply = runtime.block_on(async {
        let timed_out = || std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out");
        let tcp = tokio::time::timeout(CTL_TIMEOUT, tokio::net::TcpStream::connect(host))
            .await
            .map_err(|_| unreachable(timed_out()))?
            .map_err(unreachable)?;
        let exchange = async {
            match connector {
                None => exchange(tcp, &request).await.map_err(unreachable),
                Some(c) => {
                    // The certificate is checked by fingerprint, not by name.
                    let name = rustls::pki_types::ServerName::try_from("loadgen-dashboard")
                        .expect("a valid literal name");
                    let tls = c
                        .connect(name, tcp)
                        .await
                        .map_err(|e| DashboardError::Tls {
                            addr: host.to_string(),
                            error: e.to_string(),
                        })?;
                    exchange(tls, &request).await.map_err(unreachable)
                }
            }
        };
        tokio::time::timeout(CTL_TIMEOUT, exchange)
            .await
            .map_err(|_| unreachable(timed_out()))?
    })?;
    let status: u16 = reply
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = reply
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.trim().to_string())
        .unwrap_or_default();
    if status == 200 {
        Ok(body)
    } else {
        Err(DashboardError::Refused { status, body })
    }
}

/// Writes the request and reads the answer to the end (the dashboard closes after it).
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    request: &str,
) -> std::io::Result<String> {
    s.write_all(request.as_bytes()).await?;
    s.flush().await?;
    let mut reply = Vec::new();
    // A TLS peer that closes without close_notify still sent its whole answer.
    match s.read_to_end(&mut reply).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !reply.is_empty() => {}
        Err(e) => return Err(e),
    }
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

/// The environment variable `loadgen ctl` reads the token from.
pub const TOKEN_ENV: &str = "LOADGEN_TOKEN";

/// `loadgen ctl`: the token from `token_file` or [`TOKEN_ENV`] (never the command line,
/// which `ps` shows to everyone), then [`ctl`].
pub fn ctl_command(
    url: &str,
    token_file: Option<&std::path::Path>,
    command: &str,
    tls: Option<&tokio_rustls::TlsConnector>,
) -> Result<String, DashboardError> {
    let token = match token_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|error| DashboardError::Unreachable {
                addr: path.display().to_string(),
                error,
            })?
            .trim()
            .to_string(),
        None => std::env::var(TOKEN_ENV).unwrap_or_default(),
    };
    if token.is_empty() {
        return Err(DashboardError::Refused {
            status: 401,
            body: format!("no token: set {TOKEN_ENV} or give --token-file (the part after #token= in the printed URL)"),
        });
    }
    ctl(url, &token, command, tls)
}
