//! Following redirects (opt-in: `follow_redirects = N` per step or in `[http]`).
//!
//! A session holds one connection to its target, and the target is the one destination the
//! scenario (and a worker's allow-list) approved. So a redirect is followed only when its
//! `Location` stays on the target's own origin (same scheme, host and port, or a relative
//! reference); one that leads anywhere else is not followed, and the 3xx answer is judged by
//! the step's checks as it is. A value from the target never changes where a request goes.

use crate::request::Target;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use http::uri::PathAndQuery;
use http::{HeaderMap, Method, Uri};

/// The path and query a redirect answer leads to, when the answer is a redirect (301, 302,
/// 303, 307, 308) whose `Location` stays on `target`'s origin. `here` is the path and query
/// of the request that got the answer (a relative reference is resolved against it).
pub(crate) fn next(
    status: u16,
    headers: &HeaderMap,
    here: &str,
    target: &Target,
) -> Option<PathAndQuery> {
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = headers.get(LOCATION)?.to_str().ok()?.trim();
    if location.starts_with("//") {
        // Scheme-relative: another authority.
        let uri: Uri = format!("{}:{location}", target.scheme_str()).parse().ok()?;
        return target
            .same_origin(&uri)
            .then(|| uri.path_and_query().cloned())?;
    }
    if location.starts_with('/') {
        return location.parse().ok();
    }
    if let Ok(uri) = location.parse::<Uri>() {
        if uri.scheme().is_some() {
            return target
                .same_origin(&uri)
                .then(|| uri.path_and_query().cloned())?
                .or_else(|| PathAndQuery::from_maybe_shared("/").ok());
        }
    }
    // A relative path or query: against the current path's folder (no dot segments).
    let path = here.split('?').next().unwrap_or("/");
    let joined = if location.starts_with('?') {
        format!("{path}{location}")
    } else {
        let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        format!("{dir}{location}")
    };
    joined.parse().ok()
}

/// The method of the next hop: 303 makes any method but `HEAD` a `GET`, and so do 301 and
/// 302 for a `POST` (as browsers and k6 do); 307 and 308 keep it (and the body).
pub(crate) fn method_after(status: u16, method: &Method) -> (Method, bool) {
    let to_get = match status {
        303 => *method != Method::HEAD,
        301 | 302 => *method == Method::POST,
        _ => false,
    };
    match to_get {
        true => (Method::GET, false),
        false => (method.clone(), true),
    }
}

/// The headers of a hop that drops the body: no `Content-Type` or `Content-Length` left.
pub(crate) fn without_body(headers: &mut HeaderMap) {
    headers.remove(CONTENT_TYPE);
    headers.remove(CONTENT_LENGTH);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base_url::BaseUrl;

    fn target() -> Target {
        Target::new(
            &BaseUrl::parse("http://127.0.0.1:8080/base").unwrap(),
            Vec::new(),
        )
    }

    fn hop(status: u16, location: &str) -> Option<String> {
        let mut h = HeaderMap::new();
        h.insert(LOCATION, location.parse().unwrap());
        next(status, &h, "/base/a/b?x=1", &target()).map(|p| p.to_string())
    }

    #[test]
    fn only_redirects_to_the_same_origin_are_followed() {
        assert_eq!(hop(302, "/c?d=1").as_deref(), Some("/c?d=1"));
        assert_eq!(hop(301, "c").as_deref(), Some("/base/a/c"));
        assert_eq!(hop(307, "?y=2").as_deref(), Some("/base/a/b?y=2"));
        assert_eq!(
            hop(308, "http://127.0.0.1:8080/z").as_deref(),
            Some("/z"),
            "an absolute URL to the target itself"
        );
        assert_eq!(hop(302, "http://evil.example/z"), None);
        assert_eq!(hop(302, "http://127.0.0.1:9999/z"), None, "another port");
        assert_eq!(hop(302, "https://127.0.0.1:8080/z"), None, "another scheme");
        assert_eq!(hop(302, "//evil.example/z"), None);
        assert_eq!(hop(200, "/c"), None, "not a redirect");
        assert_eq!(hop(304, "/c"), None, "not a redirect");
    }

    #[test]
    fn see_other_and_post_redirects_become_gets() {
        assert_eq!(method_after(303, &Method::PUT), (Method::GET, false));
        assert_eq!(method_after(302, &Method::POST), (Method::GET, false));
        assert_eq!(method_after(302, &Method::DELETE), (Method::DELETE, true));
        assert_eq!(method_after(307, &Method::POST), (Method::POST, true));
    }
}
