//! Reaching the target through an HTTP proxy: a `CONNECT host:port` tunnel opened when a
//! connection is, for `https://` and plain `http://` targets alike (and `ws://`/`wss://`,
//! whose crate calls [`Proxy::handshake`]), so nothing per request
//! changes (the fast path and hyper both get a byte stream to the target). Also the proxy
//! environment variables (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`), read only when a scenario
//! opts in.

use crate::base_url::BaseUrl;
use crate::error::HttpError;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use std::io;
use std::net::IpAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Duration, Instant};

/// Longest proxy answer head read before giving up on it.
const MAX_HEAD: usize = 8 * 1024;

/// An HTTP proxy (`http://[user:password@]host:port`), reached by TCP and asked to `CONNECT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    host: String,
    port: u16,
    credentials: Option<Credentials>,
}

/// `Proxy-Authorization: Basic …` for a proxy that demands it. Its `Debug` hides the value.
#[derive(Clone, PartialEq, Eq)]
struct Credentials(String);

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(***)")
    }
}

impl Proxy {
    /// Parses `http://[user:password@]host[:port][/]` (port 80 by default, 3128 is common);
    /// user and password (percent-encoded where needed) are sent as `Proxy-Authorization:
    /// Basic`. An `https://` proxy and a path are refused. An error shows the URL with the
    /// password replaced by `***`.
    pub fn parse(url: &str) -> Result<Proxy, HttpError> {
        let (credentials, bare) = split_user_info(url);
        let err = |reason| HttpError::Proxy {
            url: loadgen_redact::url_password(url),
            reason,
        };
        let credentials =
            match credentials {
                None => None,
                Some(info) => Some(basic(info).ok_or_else(|| {
                    err("user info must be user:password, percent-encoded as UTF-8")
                })?),
            };
        let url = bare.as_str();
        if url
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        {
            return Err(err("a TLS proxy (https://) is not supported; use http://"));
        }
        let base = BaseUrl::parse(url).map_err(|_| err("expected http://host[:port]"))?;
        if !base.path_prefix().is_empty() {
            return Err(err("a proxy URL takes no path"));
        }
        Ok(Proxy {
            host: base.host().to_owned(),
            port: base.port(),
            credentials,
        })
    }

    /// True when the proxy is sent credentials.
    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    /// The proxy the environment names for `target`: `HTTPS_PROXY` for `https://` (and
    /// `wss://`), `HTTP_PROXY` for plain ones (either in lower case too), unless `NO_PROXY`
    /// lists the target's host (`*`, an exact name, a domain suffix such as `.internal` or
    /// `internal`, or an address). `None` when no proxy applies.
    pub fn from_env(
        target_host: &str,
        tls: bool,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Proxy>, HttpError> {
        let var = |name: &str| {
            env(name)
                .or_else(|| env(&name.to_ascii_lowercase()))
                .filter(|v| !v.trim().is_empty())
        };
        let url = match tls {
            true => var("HTTPS_PROXY"),
            false => var("HTTP_PROXY"),
        };
        let Some(url) = url else { return Ok(None) };
        if var("NO_PROXY").is_some_and(|list| no_proxy_matches(&list, target_host)) {
            return Ok(None);
        }
        // `host:port` without a scheme is common in these variables.
        let url = match url.contains("://") {
            true => url,
            false => format!("http://{url}"),
        };
        Proxy::parse(url.trim_end_matches('/')).map(Some)
    }

    /// `host:port` of the proxy.
    pub fn authority(&self) -> String {
        authority(&self.host, self.port)
    }

    /// Connects to the proxy and asks it for a tunnel to `host:port`; the stream is then a
    /// byte pipe to the target. A proxy that answers anything but 2xx is an error (counted
    /// as `connect`, like a refused connection). Also returns how long the TCP connect to the
    /// proxy took (the rest is the tunnel to the target).
    pub(crate) async fn tunnel(&self, host: &str, port: u16) -> io::Result<(TcpStream, Duration)> {
        let start = Instant::now();
        let mut tcp = TcpStream::connect((self.host.as_str(), self.port)).await?;
        let proxy_connect = start.elapsed();
        self.handshake(&mut tcp, host, port).await?;
        Ok((tcp, proxy_connect))
    }

    /// The proxy's host (a name or an address), to connect to it.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Asks the proxy at the other end of `tcp` for a tunnel to `host:port` (for clients that
    /// open the TCP connection themselves, such as WebSocket with source addresses).
    pub async fn handshake(&self, tcp: &mut TcpStream, host: &str, port: u16) -> io::Result<()> {
        let target = authority(host, port);
        let auth = match &self.credentials {
            Some(Credentials(value)) => format!("Proxy-Authorization: {value}\r\n"),
            None => String::new(),
        };
        let head = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n{auth}\r\n");
        tcp.write_all(head.as_bytes()).await?;
        // Read byte-sized chunks up to the blank line only: whatever follows is the target's.
        let mut buf = Vec::with_capacity(256);
        let mut byte = [0u8; 1];
        while !buf.ends_with(b"\r\n\r\n") {
            if buf.len() >= MAX_HEAD || tcp.read(&mut byte).await? == 0 {
                return Err(io::Error::other("the proxy closed or sent no answer head"));
            }
            buf.push(byte[0]);
        }
        let status = buf
            .split(|b| *b == b' ')
            .nth(1)
            .and_then(|s| std::str::from_utf8(s).ok())
            .and_then(|s| s.parse::<u16>().ok());
        match status {
            Some(200..=299) => Ok(()),
            _ => Err(io::Error::other(format!(
                "the proxy refused CONNECT {target}: {}",
                String::from_utf8_lossy(buf.split(|b| *b == b'\r').next().unwrap_or_default())
            ))),
        }
    }
}

/// Splits `scheme://user:password@rest` into the user info and `scheme://rest`.
fn split_user_info(url: &str) -> (Option<&str>, String) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (None, url.to_owned());
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((info, host)) => (
            Some(info),
            format!("{scheme}://{host}{}", &rest[authority_end..]),
        ),
        None => (None, url.to_owned()),
    }
}

/// `Basic base64(user:password)` from percent-encoded `user:password`.
fn basic(info: &str) -> Option<Credentials> {
    let (user, password) = info.split_once(':')?;
    let plain = format!("{}:{}", percent_decode(user)?, percent_decode(password)?);
    Some(Credentials(format!("Basic {}", BASE64.encode(plain))))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn authority(host: &str, port: u16) -> String {
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V6(_)) => format!("[{host}]:{port}"),
        _ => format!("{host}:{port}"),
    }
}

/// True when `NO_PROXY`'s comma-separated `list` covers `host`.
fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    list.split(',')
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .any(|e| {
            let e = e.trim_start_matches("*.").trim_start_matches('.');
            e == "*" || host == e || host.ends_with(&format!(".{e}"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_environment_picks_the_proxy_by_scheme_and_honours_no_proxy() {
        let vars = env(&[
            ("HTTPS_PROXY", "http://proxy.corp:3128/"),
            ("http_proxy", "plain.corp:8080"),
            ("NO_PROXY", "localhost, .internal,10.0.0.5"),
        ]);
        let p = |host, tls| {
            Proxy::from_env(host, tls, &vars)
                .unwrap()
                .map(|p| p.authority())
        };
        assert_eq!(p("api.example", true).as_deref(), Some("proxy.corp:3128"));
        assert_eq!(p("api.example", false).as_deref(), Some("plain.corp:8080"));
        assert_eq!(p("localhost", true), None);
        assert_eq!(p("db.internal", true), None);
        assert_eq!(p("internal", true), None);
        assert_eq!(p("10.0.0.5", true), None);
        assert_eq!(
            p("notinternal.example", true).as_deref(),
            Some("proxy.corp:3128")
        );
        let none = env(&[]);
        assert_eq!(Proxy::from_env("x", true, &none).unwrap(), None);
        let star = env(&[("HTTPS_PROXY", "http://p:1"), ("no_proxy", "*")]);
        assert_eq!(Proxy::from_env("x", true, &star).unwrap(), None);
    }

    #[test]
    fn user_info_becomes_basic_credentials_and_never_shows() {
        let p = Proxy::parse("http://alice:s%40cret@proxy.corp:3128").unwrap();
        assert_eq!(p.authority(), "proxy.corp:3128");
        assert!(p.has_credentials());
        // base64("alice:s@cret")
        assert_eq!(
            p.credentials,
            Some(Credentials("Basic YWxpY2U6c0BjcmV0".into()))
        );
        assert!(!format!("{p:?}").contains("YWxp"), "{p:?}");
        let e = Proxy::parse("http://alice:hunter2@proxy.corp:3128/x")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("alice:***@proxy.corp") && !e.contains("hunter2"),
            "{e}"
        );
        assert!(Proxy::parse("http://nopassword@proxy.corp:3128").is_err());
        assert!(!Proxy::parse("http://proxy.corp:3128")
            .unwrap()
            .has_credentials());
    }

    #[test]
    fn only_plain_http_proxies_without_paths_are_taken() {
        assert!(Proxy::parse("https://p:3128").is_err());
        assert!(Proxy::parse("http://p:3128/x").is_err());
        assert!(Proxy::parse("socks5://p:1080").is_err());
        assert_eq!(
            Proxy::parse("http://[::1]:3128").unwrap().authority(),
            "[::1]:3128"
        );
    }
}
