//! The database URL: parsed once, its password never printed.
//!
//! `postgres://user:password@host:port/dbname?options`, in libpq's URL form (the options
//! tokio-postgres knows: `connect_timeout`, `application_name`, `options=-c statement_timeout=…`).
//! `sslmode` is read here, since tokio-postgres knows only three of libpq's six values:
//!
//! | `sslmode`                              | loadgen                                          |
//! |----------------------------------------|--------------------------------------------------|
//! | `disable`, `allow`                     | no TLS                                           |
//! | `prefer` (the default)                 | TLS when the server offers it, else plain        |
//! | `require`, `verify-ca`, `verify-full`  | TLS or nothing, the certificate checked by the same trust options as HTTPS (`[tls]`) |
//!
//! libpq's `require` does not check the certificate; loadgen always does, unless the scenario's
//! trust options say `insecure`.

use crate::error::PgError;
use std::fmt;
use std::str::FromStr;
use tokio_postgres::config::{Host, SslMode};

/// Whether a connection uses TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it.
    Prefer,
    /// TLS, or the connection fails (`tls` outcome).
    Require,
}

/// A parsed database URL. `Debug` and `Display` print it without the password.
#[derive(Clone)]
pub struct DbUrl {
    pub(crate) config: tokio_postgres::Config,
    tls: TlsMode,
    host: String,
    port: u16,
    shown: String,
}

impl DbUrl {
    /// Parses `url`. Errors never repeat the URL (it may hold a password).
    pub fn parse(url: &str) -> Result<DbUrl, PgError> {
        let url = url.trim();
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(PgError::Url(
                "must start with postgres:// or postgresql://".to_owned(),
            ));
        }
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut tls = TlsMode::Prefer;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("sslmode", mode)) => {
                    tls = match mode {
                        "disable" | "allow" => TlsMode::Disable,
                        "prefer" => TlsMode::Prefer,
                        "require" | "verify-ca" | "verify-full" => TlsMode::Require,
                        other => {
                            return Err(PgError::Url(format!(
                                "sslmode `{other}` is not one of disable, allow, prefer, \
                                 require, verify-ca, verify-full"
                            )))
                        }
                    }
                }
                _ => kept.push(pair),
            }
        }
        let rest = match kept.is_empty() {
            true => base.to_owned(),
            false => format!("{base}?{}", kept.join("&")),
        };
        // tokio-postgres's parse errors name the option, never the URL.
        let mut config =
            tokio_postgres::Config::from_str(&rest).map_err(|e| PgError::Url(e.to_string()))?;
        config.ssl_mode(match tls {
            TlsMode::Disable => SslMode::Disable,
            TlsMode::Prefer => SslMode::Prefer,
            TlsMode::Require => SslMode::Require,
        });
        let host = match config.get_hosts() {
            [Host::Tcp(h), ..] => h.clone(),
            [] => {
                return Err(PgError::Url(
                    "no host (loadgen connects over TCP)".to_owned(),
                ))
            }
            _ => {
                return Err(PgError::Url(
                    "a Unix socket host is not supported; give a TCP host".to_owned(),
                ))
            }
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        if config.get_user().is_none() {
            return Err(PgError::Url("no user (postgres://USER@host/db)".to_owned()));
        }
        // Shown as given, less its options (one may be a `password=`), with the password of
        // its user info hidden by the rule every URL loadgen shows follows.
        let shown = loadgen_redact::url_password(base);
        Ok(DbUrl {
            config,
            tls,
            host,
            port,
            shown,
        })
    }

    /// The database server's host name or address (the first, when several are given).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The server's port (5432 unless the URL says).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host:port`, the destination a worker's allow-list must cover.
    pub fn destination(&self) -> String {
        format!("{}:{}", bracket(&self.host), self.port)
    }

    /// Whether connections use TLS.
    pub fn tls(&self) -> TlsMode {
        self.tls
    }

    /// True when the URL carries a password.
    pub fn has_password(&self) -> bool {
        self.config.get_password().is_some()
    }
}

fn bracket(host: &str) -> String {
    match host.contains(':') {
        true => format!("[{host}]"),
        false => host.to_owned(),
    }
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbUrl")
            .field("url", &self.shown)
            .field("tls", &self.tls)
            .field("password", &self.has_password().then_some("***"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_parts_and_never_shows_the_password() {
        let u = DbUrl::parse("postgres://app:s3cr3t-pw@db.example:6432/payments?sslmode=verify-full&application_name=lg").unwrap();
        assert_eq!(u.host(), "db.example");
        assert_eq!(u.port(), 6432);
        assert_eq!(u.destination(), "db.example:6432");
        assert_eq!(u.tls(), TlsMode::Require);
        assert!(u.has_password());
        let shown = format!("{u} {u:?} {:?}", u.clone());
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(
            shown.contains("postgres://app:***@db.example:6432/payments"),
            "{shown}"
        );
        assert_eq!(u.config.get_application_name(), Some("lg"));
        // A password given as an option is not shown either: options are left out.
        let u = DbUrl::parse("postgresql://app@db.example/pay?password=hunter2").unwrap();
        assert!(u.has_password());
        assert_eq!(u.to_string(), "postgresql://app@db.example/pay");
    }

    #[test]
    fn defaults_and_refusals() {
        let u = DbUrl::parse("postgresql://app@127.0.0.1/db").unwrap();
        assert_eq!((u.port(), u.tls()), (5432, TlsMode::Prefer));
        assert_eq!(
            DbUrl::parse("postgres://a@[::1]:5/d")
                .unwrap()
                .destination(),
            "[::1]:5"
        );
        for bad in [
            "mysql://a@h/d",
            "postgres://a:pw@h/d?sslmode=sometimes",
            "postgres://a:pw@h:notaport/d",
        ] {
            let e = DbUrl::parse(bad).unwrap_err().to_string();
            assert!(!e.contains("pw@"), "{e}");
        }
    }
}
