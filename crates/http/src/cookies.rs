//! A VU's cookie jar (`[http] cookies = true`): the RFC 6265 rules come from `cookie_store`
//! (domain and path matching, expiry, `Secure`), not from here. Only hyper's path uses it, so
//! the fast path stays free of per-request allocation; a jar allocates per request by nature.

use crate::base_url::BaseUrl;
use cookie_store::CookieStore;
use http::header::{HeaderMap, HeaderValue, SET_COOKIE};

/// One VU's cookies for one target.
#[derive(Debug)]
pub(crate) struct Jar {
    store: CookieStore,
    /// `scheme://host:port` of the target, to which request paths are appended.
    origin: String,
}

impl Jar {
    pub(crate) fn new(base: &BaseUrl) -> Jar {
        let scheme = if base.is_tls() { "https" } else { "http" };
        Jar {
            store: CookieStore::default(),
            origin: format!("{scheme}://{}:{}", base.host(), base.port()),
        }
    }

    fn url(&self, path: &str) -> Option<url::Url> {
        url::Url::parse(&format!("{}{path}", self.origin)).ok()
    }

    /// The `Cookie` header for a request to `path` (and query), if any cookie applies.
    pub(crate) fn header_for(&self, path: &str) -> Option<HeaderValue> {
        let url = self.url(path)?;
        // RFC 6265 5.4: longer paths first (then by name, so the header is the same each time;
        // the store keeps no order of its own).
        let mut cookies = self.store.matches(&url);
        cookies.sort_by(|a, b| {
            let len = |c: &&cookie_store::Cookie<'_>| c.path().map_or(0, str::len);
            len(b).cmp(&len(a)).then_with(|| a.name().cmp(b.name()))
        });
        let mut value = String::new();
        for c in cookies {
            if !value.is_empty() {
                value.push_str("; ");
            }
            value.push_str(c.name());
            value.push('=');
            value.push_str(c.value());
        }
        (!value.is_empty())
            .then(|| HeaderValue::try_from(value).ok())
            .flatten()
    }

    /// Keeps the cookies an answer to `path` set (malformed ones are ignored, as browsers do).
    pub(crate) fn store_from(&mut self, path: &str, headers: &HeaderMap) {
        let Some(url) = self.url(path) else { return };
        let cookies = headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| cookie_store::RawCookie::parse(v.to_owned()).ok());
        self.store.store_response_cookies(cookies, &url);
    }

    /// Forgets every cookie (a new user).
    pub(crate) fn clear(&mut self) {
        self.store.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_set_by_an_answer_go_back_where_they_apply() {
        let base = BaseUrl::parse("http://shop.test:8080").unwrap();
        let mut jar = Jar::new(&base);
        assert!(jar.header_for("/api/cart").is_none());
        let mut h = HeaderMap::new();
        h.append(SET_COOKIE, "session=abc; Path=/; HttpOnly".parse().unwrap());
        h.append(SET_COOKIE, "cart=7; Path=/api/cart".parse().unwrap());
        h.append(SET_COOKIE, "gone=1; Max-Age=0".parse().unwrap());
        h.append(SET_COOKIE, "secure=1; Secure".parse().unwrap());
        jar.store_from("/api/login", &h);
        assert_eq!(
            jar.header_for("/api/cart?x=1").unwrap(),
            "cart=7; session=abc"
        );
        assert_eq!(jar.header_for("/health").unwrap(), "session=abc");
        jar.clear();
        assert!(jar.header_for("/health").is_none());
    }
}
