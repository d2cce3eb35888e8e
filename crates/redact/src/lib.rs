//! loadgen-redact: the one rule for hiding the password of a URL, for every place that shows
//! one: a proxy URL in an HTTP error, a Redis or PostgreSQL URL in a message or a plan's
//! destinations, and the copy of a scenario kept in a results folder.
//!
//! The rule: in `scheme://user:password@host…` the password becomes `***` and everything
//! else stays (`scheme://user:***@host…`). The user info ends at the last `@` of the
//! authority, which ends at the first `/`, `?`, `#`, quote or white space; the user name ends
//! at its first `:`. A password written as `${VAR}` is kept: unexpanded text names the
//! variable, not the secret. A URL without a password (`scheme://user@host`, or no user
//! info) is left as it is. Text without `://` is left as it is.
//!
//! It must not know any protocol or file format: it sees text. It has no dependencies, so
//! every crate that shows a URL can use it.

#![forbid(unsafe_code)]

/// What replaces a password.
pub const HIDDEN: &str = "***";

/// `url` with its password replaced by [`HIDDEN`] (see the crate's rule).
pub fn url_password(url: &str) -> String {
    url_passwords(url)
}

/// `text` with the password of every `scheme://…` URL in it replaced by [`HIDDEN`]: a
/// scenario file's copy, a message quoting a URL.
pub fn url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| matches!(c, '/' | '"' | '\'' | '?' | '#') || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rsplit_once('@') {
            Some((info, host)) => match info.split_once(':') {
                Some((user, password)) if !password.starts_with("${") => {
                    out.push_str(&format!("{user}:{HIDDEN}@{host}"));
                }
                _ => out.push_str(authority),
            },
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_hidden_and_the_rest_kept() {
        assert_eq!(
            url_password("http://alice:hunter2@proxy.corp:3128"),
            "http://alice:***@proxy.corp:3128"
        );
        assert_eq!(
            url_password("rediss://:pw@cache:6380/1"),
            "rediss://:***@cache:6380/1"
        );
        // The user info ends at the last `@` of the authority: a password may hold an `@`.
        assert_eq!(
            url_password("postgres://app:p@ss@db:5432/pay?sslmode=require"),
            "postgres://app:***@db:5432/pay?sslmode=require"
        );
    }

    #[test]
    fn no_password_no_change() {
        for url in [
            "https://api.example/path?q=a:b@c",
            "redis://app@cache:6379",
            "http://[::1]:8080/x",
            "not a url",
            "postgres://app:${DB_PASSWORD}@db/pay",
        ] {
            assert_eq!(url_password(url), url);
        }
    }

    #[test]
    fn every_url_of_a_text_is_redacted() {
        let text = "proxy = \"http://a:x@p:1\"\nurl = 'postgres://b:y@d/q'\nname = \"x://\"\n";
        assert_eq!(
            url_passwords(text),
            "proxy = \"http://a:***@p:1\"\nurl = 'postgres://b:***@d/q'\nname = \"x://\"\n"
        );
    }
}
