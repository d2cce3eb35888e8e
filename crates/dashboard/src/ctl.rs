//! `loadgen ctl URL COMMAND`: one control request to a running dashboard, token in a header.

use crate::error::DashboardError;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Sends `command` (`pause`, `resume`, `scale 2`, `vus 10`, `stop`) to the dashboard at `url`
/// with `token`; returns its answer (`scale 2 at 3.150s`).
pub fn ctl(url: &str, token: &str, command: &str) -> Result<String, DashboardError> {
    crate::server::parse_command(command)
        .map_err(|body| DashboardError::Refused { status: 400, body })?;
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| DashboardError::BadUrl(url.to_string()))?;
    let host = rest.split(['/', '#', '?']).next().unwrap_or_default();
    if host.is_empty() {
        return Err(DashboardError::BadUrl(url.to_string()));
    }
    let unreachable = |error| DashboardError::Unreachable {
        addr: host.to_string(),
        error,
    };
    let addr = host
        .to_socket_addrs()
        .map_err(unreachable)?
        .next()
        .ok_or_else(|| DashboardError::BadUrl(url.to_string()))?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(unreachable)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(unreachable)?;
    let request = format!(
        "POST /control HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {token}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{command}",
        command.len()
    );
    s.write_all(request.as_bytes()).map_err(unreachable)?;
    let mut reply = String::new();
    s.read_to_string(&mut reply).map_err(unreachable)?;
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

/// The environment variable `loadgen ctl` reads the token from.
pub const TOKEN_ENV: &str = "LOADGEN_TOKEN";

/// `loadgen ctl`: the token from `token_file` or [`TOKEN_ENV`] (never the command line,
/// which `ps` shows to everyone), then [`ctl`].
pub fn ctl_command(
    url: &str,
    token_file: Option<&std::path::Path>,
    command: &str,
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
    ctl(url, &token, command)
}
