//! `redis://[[user]:password@]host[:port][/db]` and `rediss://…` (TLS), the shape ElastiCache
//! and `redis-cli -u` use. The password is held as a [`Password`], which never prints.

use crate::error::RedisError;
use std::fmt;

/// A password that prints as `***` in `Debug` and `Display`, so no log, error or results
/// file can carry it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(p: impl Into<String>) -> Self {
        Password(p.into())
    }

    /// The password itself, for the `AUTH` command only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A parsed Redis URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisUrl {
    /// `rediss://`: TLS.
    pub tls: bool,
    /// Host name or IP address (without IPv6 brackets).
    pub host: String,
    /// Port (6379 when not given).
    pub port: u16,
    /// ACL user name (`AUTH user password`); none: the default user.
    pub username: Option<String>,
    /// Password for `AUTH`.
    pub password: Option<Password>,
    /// Database number for `SELECT` (0 when not given).
    pub db: u32,
}

impl RedisUrl {
    /// Parses `text`. Errors show the URL with its password replaced by `***`.
    pub fn parse(text: &str) -> Result<RedisUrl, RedisError> {
        let err = |reason| RedisError::Url {
            url: loadgen_redact::url_password(text),
            reason,
        };
        let (tls, rest) = if let Some(r) = text.strip_prefix("redis://") {
            (false, r)
        } else if let Some(r) = text.strip_prefix("rediss://") {
            (true, r)
        } else {
            return Err(err("must start with redis:// or rediss://"));
        };
        if rest.contains(['?', '#']) {
            return Err(err("query parameters are not supported"));
        }
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (username, password) = match userinfo {
            None => (None, None),
            Some(u) => {
                let Some((user, pass)) = u.split_once(':') else {
                    return Err(err("a user needs a password: redis://user:password@host"));
                };
                let user = percent_decode(user).ok_or_else(|| err("bad %-escape in the user"))?;
                let pass =
                    percent_decode(pass).ok_or_else(|| err("bad %-escape in the password"))?;
                ((!user.is_empty()).then_some(user), Some(Password(pass)))
            }
        };
        let (host, port) = split_host_port(hostport).ok_or_else(|| err("bad host or port"))?;
        if host.is_empty() {
            return Err(err("no host"));
        }
        let db = match path {
            "" => 0,
            p => p
                .parse()
                .map_err(|_| err("the path must be a database number"))?,
        };
        Ok(RedisUrl {
            tls,
            host,
            port,
            username,
            password,
            db,
        })
    }

    /// `host:port` (brackets around an IPv6 address), for connects and allow-lists.
    pub fn authority(&self) -> String {
        match self.host.contains(':') {
            true => format!("[{}]:{}", self.host, self.port),
            false => format!("{}:{}", self.host, self.port),
        }
    }
}

impl fmt::Display for RedisUrl {
    /// The URL with the password as `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "rediss" } else { "redis" };
        write!(f, "{scheme}://")?;
        if self.password.is_some() {
            write!(f, "{}:***@", self.username.as_deref().unwrap_or(""))?;
        }
        write!(f, "{}", self.authority())?;
        if self.db != 0 {
            write!(f, "/{}", self.db)?;
        }
        Ok(())
    }
}

fn split_host_port(s: &str) -> Option<(String, u16)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => 6379,
            None => return None,
        };
        return Some((host.to_owned(), port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) => Some((h.to_owned(), p.parse().ok()?)),
        None => Some((s.to_owned(), 6379)),
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_shapes() {
        let u = RedisUrl::parse("redis://127.0.0.1:6380").unwrap();
        assert_eq!(
            (u.tls, u.host.as_str(), u.port, u.db),
            (false, "127.0.0.1", 6380, 0)
        );
        assert_eq!(u.password, None);
        let u = RedisUrl::parse("rediss://app:s%40cret@cache.example.com/3").unwrap();
        assert!(u.tls);
        assert_eq!(u.username.as_deref(), Some("app"));
        assert_eq!(u.password.as_ref().map(|p| p.expose()), Some("s@cret"));
        assert_eq!((u.port, u.db), (6379, 3));
        let u = RedisUrl::parse("redis://:pw@[::1]:7000").unwrap();
        assert_eq!(
            (u.username.as_deref(), u.host.as_str(), u.port),
            (None, "::1", 7000)
        );
        assert_eq!(u.authority(), "[::1]:7000");
    }

    #[test]
    fn passwords_never_print() {
        let u = RedisUrl::parse("redis://app:hunter2@h:1/2").unwrap();
        assert_eq!(u.to_string(), "redis://app:***@h:1/2");
        assert!(!format!("{u:?}").contains("hunter2"));
        for bad in [
            "redis://app:hunter2@h:notaport",
            "redis://app:hunter2@h/x",
            "http://app:hunter2@h",
        ] {
            let e = RedisUrl::parse(bad).unwrap_err().to_string();
            assert!(!e.contains("hunter2"), "{e}");
            assert!(e.contains("***"), "{e}");
        }
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        for bad in [
            "redis://",
            "redis://user@h",
            "redis://h:99999",
            "redis://h?x=1",
        ] {
            assert!(RedisUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
