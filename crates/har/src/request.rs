//! A recorded request as the pieces of a step: headers a run sets itself left out, and the
//! secrets marked — credentials of `Authorization`, every cookie of `Cookie`, headers named
//! like a token or key, and password-like fields of a JSON or form body — so that whatever no
//! capture explains becomes a `${VAR}` and is never written.

use crate::har::Exchange;
use crate::text::Parts;

/// Headers left out: the run sets them itself (framing, connection, host), or they would
/// change the answer under the captures (`Accept-Encoding`: a compressed body cannot be read).
const DROPPED: [&str; 10] = [
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "upgrade",
    "accept-encoding",
    "trailer",
];

/// Header names that carry a credential when they contain one of these (lower case).
const SECRET_HEADER_WORDS: [&str; 7] =
    ["token", "key", "secret", "session", "auth", "csrf", "xsrf"];

/// Body fields whose values are credentials (lower case, compared whole).
const SECRET_FIELDS: [&str; 8] = [
    "password",
    "passwd",
    "pass",
    "secret",
    "client_secret",
    "api_key",
    "apikey",
    "pin",
];

/// One step's request in pieces.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub(crate) method: String,
    pub(crate) path: Parts,
    pub(crate) headers: Vec<(String, Parts)>,
    pub(crate) body: Option<Parts>,
}

impl Req {
    /// Every text of the request, for searching and replacing.
    pub(crate) fn texts_mut(&mut self) -> impl Iterator<Item = &mut Parts> {
        std::iter::once(&mut self.path)
            .chain(self.headers.iter_mut().map(|(_, v)| v))
            .chain(self.body.iter_mut())
    }

    pub(crate) fn texts(&self) -> impl Iterator<Item = &Parts> {
        std::iter::once(&self.path)
            .chain(self.headers.iter().map(|(_, v)| v))
            .chain(self.body.iter())
    }
}

/// The step's request for exchange `e`.
pub(crate) fn request(e: &Exchange) -> Req {
    let headers = e
        .headers
        .iter()
        .filter(|(n, _)| !DROPPED.contains(&n.to_ascii_lowercase().as_str()))
        .map(|(n, v)| (n.clone(), header_parts(n, v)))
        .collect();
    let body = e.body.as_ref().map(|(mime, text)| body_parts(mime, text));
    Req {
        method: e.method.clone(),
        path: Parts::text(e.path.clone()),
        headers,
        body,
    }
}

/// An environment variable's name: `prefix` then `name` in upper case, other characters `_`.
fn var_name(prefix: &str, name: &str) -> String {
    let mut out = prefix.to_owned();
    out.extend(name.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        }
    }));
    out
}

fn header_parts(name: &str, value: &str) -> Parts {
    let lower = name.to_ascii_lowercase();
    let mut p = Parts::default();
    match lower.as_str() {
        "authorization" | "proxy-authorization" => match value.split_once(' ') {
            Some((scheme, cred)) => {
                let var = match scheme.to_ascii_lowercase().as_str() {
                    "bearer" => "AUTH_TOKEN",
                    "basic" => "BASIC_AUTH",
                    _ => "AUTHORIZATION",
                };
                p.push(format!("{scheme} "), None);
                p.push(cred, Some(var));
            }
            None => p.push(value, Some("AUTHORIZATION")),
        },
        "cookie" => {
            for (i, pair) in value.split(';').enumerate() {
                let pair = pair.trim();
                if i > 0 {
                    p.push("; ", None);
                }
                match pair.split_once('=') {
                    Some((k, v)) => {
                        p.push(format!("{k}="), None);
                        p.push(v, Some(&var_name("COOKIE_", k)));
                    }
                    None => p.push(pair, None),
                }
            }
        }
        _ if SECRET_HEADER_WORDS.iter().any(|w| lower.contains(w)) => {
            p.push(value, Some(&var_name("", name)))
        }
        _ => p.push(value, None),
    }
    p
}

/// A body with its password-like fields marked: JSON (`"password": "…"`) or a form
/// (`password=…`); any other body is plain text.
fn body_parts(mime: &str, text: &str) -> Parts {
    let mime = mime.to_ascii_lowercase();
    let spans = if mime.contains("json") {
        json_secret_spans(text)
    } else if mime.contains("x-www-form-urlencoded") {
        form_secret_spans(text)
    } else {
        Vec::new()
    };
    let mut p = Parts::default();
    let mut at = 0;
    for (start, end, field) in spans {
        p.push(&text[at..start], None);
        p.push(&text[start..end], Some(&var_name("", field)));
        at = end;
    }
    p.push(&text[at..], None);
    p
}

/// Byte ranges of the string values of secret fields in a JSON text (inside the quotes),
/// found by scanning for `"field"` `:` `"value"`; a value with escapes is left as it is.
fn json_secret_spans(text: &str) -> Vec<(usize, usize, &str)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'"' {
            i += 1;
            continue;
        }
        // A string: its end.
        let start = i + 1;
        let mut j = start;
        while j < b.len() && b[j] != b'"' {
            j += if b[j] == b'\\' { 2 } else { 1 };
        }
        if j >= b.len() {
            break;
        }
        let key = &text[start..j];
        i = j + 1;
        // A key is followed by `:`.
        let mut k = i;
        while k < b.len() && b[k].is_ascii_whitespace() {
            k += 1;
        }
        if k >= b.len()
            || b[k] != b':'
            || !SECRET_FIELDS.contains(&key.to_ascii_lowercase().as_str())
        {
            continue;
        }
        k += 1;
        while k < b.len() && b[k].is_ascii_whitespace() {
            k += 1;
        }
        if k < b.len() && b[k] == b'"' {
            let vs = k + 1;
            let mut ve = vs;
            while ve < b.len() && b[ve] != b'"' && b[ve] != b'\\' {
                ve += 1;
            }
            if ve < b.len() && b[ve] == b'"' && ve > vs {
                out.push((vs, ve, key));
                i = ve + 1;
            }
        }
    }
    out
}

fn form_secret_spans(text: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut at = 0;
    for pair in text.split('&') {
        if let Some((k, v)) = pair.split_once('=') {
            if !v.is_empty() && SECRET_FIELDS.contains(&k.to_ascii_lowercase().as_str()) {
                let start = at + k.len() + 1;
                out.push((start, start + v.len(), k));
            }
        }
        at += pair.len() + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Piece;

    fn secret_texts(p: &Parts) -> Vec<&str> {
        p.0.iter()
            .filter_map(|x| match x {
                Piece::Text {
                    text,
                    secret: Some(_),
                } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn credentials_cookies_and_password_fields_are_marked() {
        assert_eq!(
            secret_texts(&header_parts("Authorization", "Bearer abc.def")),
            ["abc.def"]
        );
        assert_eq!(
            secret_texts(&header_parts("cookie", "session=s1; theme=dark")),
            ["s1", "dark"]
        );
        assert_eq!(secret_texts(&header_parts("X-Api-Key", "k1")), ["k1"]);
        assert!(secret_texts(&header_parts("Accept", "*/*")).is_empty());
        let body = r#"{"user": "shopper", "password": "demo", "note": "password"}"#;
        assert_eq!(
            secret_texts(&body_parts("application/json", body)),
            ["demo"]
        );
        assert_eq!(
            secret_texts(&body_parts(
                "application/x-www-form-urlencoded",
                "user=a&password=p%20w&x=1"
            )),
            ["p%20w"]
        );
        assert_eq!(body_parts("text/plain", "password=x").0.len(), 1);
    }
}
