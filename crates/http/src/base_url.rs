//! A target's base URL: scheme, authority and path prefix, parsed once.

use crate::error::HttpError;
use http::uri::{Authority, PathAndQuery};

/// A parsed `http://host[:port][/prefix]` or `https://…` URL. The host may be a name (looked
/// up at connect time), an IPv4 address or a bracketed IPv6 address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    tls: bool,
    host: String,
    port: u16,
    authority: Authority,
    prefix: String,
}

impl BaseUrl {
    /// Parses a base URL. Query, fragment and user info are rejected: put a query in the
    /// step path and credentials in a header.
    pub fn parse(url: &str) -> Result<BaseUrl, HttpError> {
        let err = |reason| HttpError::BaseUrl {
            url: url.to_owned(),
            reason,
        };
        let (tls, rest) = if let Some(rest) = strip_prefix_ci(url, "http://") {
            (false, rest)
        } else if let Some(rest) = strip_prefix_ci(url, "https://") {
            (true, rest)
        } else if url.contains("://") {
            return Err(err("unsupported scheme (use http:// or https://)"));
        } else {
            return Err(err("missing scheme (use http:// or https://)"));
        };
        if rest.contains(['?', '#']) {
            return Err(err(
                "a base URL takes no query or fragment; put them in the step path",
            ));
        }
        let (auth, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if auth.contains('@') {
            return Err(err(
                "user info is not supported; send an Authorization header",
            ));
        }
        let (host, port) = split_host_port(auth).map_err(err)?;
        let port = match port {
            None => {
                if tls {
                    443
                } else {
                    80
                }
            }
            Some(p) => match p.parse::<u16>() {
                Ok(0) | Err(_) => return Err(err("port must be a number from 1 to 65535")),
                Ok(p) => p,
            },
        };
        let authority: Authority = auth.parse().map_err(|_| err("invalid host"))?;
        let prefix = path.trim_end_matches('/');
        if !prefix.is_empty() && prefix.parse::<PathAndQuery>().is_err() {
            return Err(err("invalid path prefix"));
        }
        Ok(BaseUrl {
            tls,
            host: host.to_owned(),
            port,
            authority,
            prefix: prefix.to_owned(),
        })
    }

    /// True for `https://`.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The host: a name or an IP address, without brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, explicit or the scheme's default.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The authority as written (`host[:port]`): the `Host` header and the HTTP/2 `:authority`.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// The path prefix without a trailing slash (empty for none).
    pub fn path_prefix(&self) -> &str {
        &self.prefix
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Splits `host[:port]` / `[v6][:port]`; the port is returned unparsed.
fn split_host_port(auth: &str) -> Result<(&str, Option<&str>), &'static str> {
    let (host, port) = if let Some(rest) = auth.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("unclosed `[` in host")?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or("invalid host")?)),
        }
    } else {
        match auth.split_once(':') {
            None => (auth, None),
            Some((_, p)) if p.contains(':') => return Err("IPv6 addresses need brackets"),
            Some((h, p)) => (h, Some(p)),
        }
    };
    if host.is_empty() {
        return Err("missing host");
    }
    Ok((host, port))
}
