//! HAR 1.2 as recorders write it (browsers' "Save all as HAR", mitmproxy's `hardump`), read
//! into the exchanges the import works on: only the fields it uses.

use crate::error::HarError;
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    log: Log,
}

#[derive(Deserialize)]
struct Log {
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    started_date_time: String,
    /// Total milliseconds the exchange took (-1 or absent when unknown).
    #[serde(default)]
    time: f64,
    request: Request,
    response: Response,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    method: String,
    url: String,
    #[serde(default)]
    headers: Vec<Header>,
    post_data: Option<PostData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostData {
    #[serde(default)]
    mime_type: String,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
struct Response {
    status: u16,
    #[serde(default)]
    headers: Vec<Header>,
    #[serde(default)]
    content: Content,
}

#[derive(Deserialize, Default)]
struct Content {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
}

#[derive(Deserialize, Clone)]
struct Header {
    name: String,
    value: String,
}

/// One recorded request and its answer.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// `GET`, `POST`, …
    pub method: String,
    /// `http://host:port` (or https), the scenario's target.
    pub origin: String,
    /// Path and query as sent (`/api/payments/pay_1?x=1`).
    pub path: String,
    /// Request headers in recorded order (HTTP/2 pseudo-headers already left out).
    pub headers: Vec<(String, String)>,
    /// The request body and its MIME type, when there was one.
    pub body: Option<(String, String)>,
    /// Milliseconds since the first entry started.
    pub start_ms: f64,
    /// How long the exchange took, in milliseconds (0 when unknown).
    pub time_ms: f64,
    /// The answer's status.
    pub status: u16,
    /// The answer's headers.
    pub response_headers: Vec<(String, String)>,
    /// The answer's body as text (`None` when not recorded or base64-encoded binary).
    pub response_body: Option<String>,
}

/// The exchanges of a HAR file, in recorded order (entries sorted by their start).
pub fn read(text: &str) -> Result<Vec<Exchange>, HarError> {
    let file: File = serde_json::from_str(text)?;
    let mut entries = file.log.entries;
    if entries.is_empty() {
        return Err(HarError::Empty);
    }
    let starts: Vec<f64> = entries
        .iter()
        .map(|e| millis(&e.started_date_time))
        .collect();
    let first = starts.iter().copied().fold(f64::INFINITY, f64::min);
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|a, b| starts[*a].total_cmp(&starts[*b]));
    let mut out = Vec::with_capacity(entries.len());
    for (index, i) in order.into_iter().enumerate() {
        let e = std::mem::replace(&mut entries[i], placeholder());
        let (origin, path) = split_url(&e.request.url).ok_or_else(|| HarError::Url {
            index,
            url: e.request.url.clone(),
        })?;
        out.push(Exchange {
            method: e.request.method.to_ascii_uppercase(),
            origin,
            path,
            headers: pairs(&e.request.headers),
            body: e
                .request
                .post_data
                .filter(|p| !p.text.is_empty())
                .map(|p| (p.mime_type, p.text)),
            start_ms: if starts[i].is_finite() {
                starts[i] - first
            } else {
                0.0
            },
            time_ms: e.time.max(0.0),
            status: e.response.status,
            response_headers: pairs(&e.response.headers),
            response_body: match e.response.content.encoding.as_deref() {
                Some("base64") => None,
                _ => e.response.content.text,
            },
        });
    }
    Ok(out)
}

fn placeholder() -> Entry {
    Entry {
        started_date_time: String::new(),
        time: 0.0,
        request: Request {
            method: String::new(),
            url: String::new(),
            headers: Vec::new(),
            post_data: None,
        },
        response: Response {
            status: 0,
            headers: Vec::new(),
            content: Content::default(),
        },
    }
}

fn pairs(headers: &[Header]) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|h| !h.name.starts_with(':'))
        .map(|h| (h.name.clone(), h.value.clone()))
        .collect()
}

/// Milliseconds since the epoch of an RFC 3339 instant; NaN when it does not parse.
fn millis(at: &str) -> f64 {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| t.timestamp_micros() as f64 / 1000.0)
        .unwrap_or(f64::NAN)
}

/// `http://h:1/p?q` → (`http://h:1`, `/p?q`); the fragment is dropped.
fn split_url(url: &str) -> Option<(String, String)> {
    let rest = url
        .strip_prefix("http://")
        .map(|r| ("http://", r))
        .or_else(|| url.strip_prefix("https://").map(|r| ("https://", r)))?;
    let (scheme, rest) = rest;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if end == 0 {
        return None;
    }
    let origin = format!("{scheme}{}", &rest[..end]);
    let mut path = rest[end..].split('#').next().unwrap_or("").to_owned();
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    Some((origin, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_origin_and_path() {
        assert_eq!(
            split_url("http://127.0.0.1:8080/api/x?y=1#f"),
            Some(("http://127.0.0.1:8080".into(), "/api/x?y=1".into()))
        );
        assert_eq!(
            split_url("https://shop.example"),
            Some(("https://shop.example".into(), "/".into()))
        );
        assert_eq!(split_url("ftp://x/y"), None);
        assert_eq!(split_url("http:///y"), None);
    }
}
