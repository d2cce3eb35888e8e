//! The templated texts of a raw HTTP step — its path, header values and body — each with
//! where it stands in the file and its field name, and the `{{…}}` placeholders inside a
//! text. The name checks that need a line (captures used before they are made, feeder
//! columns that do not exist) walk a step through this one piece.

use super::raw::RawHttpStep;
use loadgen_grammar::check::S;

/// One templated text of a step.
pub struct Part {
    /// The text as written (a JSON body as serialized TOML → JSON).
    pub text: String,
    /// Byte offset in the file to report a problem at.
    pub at: usize,
    /// Field under `http.`: `path`, `headers.NAME`, `json` or `body`.
    pub field: String,
}

/// The path, every header value and the body of `http`, in that order. The body has no span
/// of its own, so it is reported at the `http` table.
pub fn parts(http: &S<RawHttpStep>) -> Vec<Part> {
    let h = http.get_ref();
    let mut out = vec![Part {
        text: h.path.get_ref().clone(),
        at: h.path.span().start,
        field: "path".into(),
    }];
    for (name, v) in &h.headers {
        out.push(Part {
            text: v.get_ref().clone(),
            at: v.span().start,
            field: format!("headers.{name}"),
        });
    }
    let body = match (&h.json, &h.body) {
        (Some(j), _) => Some((j.to_string(), "json")),
        (None, Some(b)) => Some((b.clone(), "body")),
        (None, None) => None,
    };
    if let Some((text, field)) = body {
        out.push(Part {
            text,
            at: http.span().start,
            field: field.into(),
        });
    }
    out
}

/// The trimmed inside of every `{{…}}` in `text`, in order (`id`, `customers.email`,
/// `random_int(1,2)`); an unclosed `{{` ends the list.
pub fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let open = rest.find("{{")?;
        let after = &rest[open + 2..];
        let close = after.find("}}")?;
        rest = &after[close + 2..];
        Some(after[..close].trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_trimmed_and_an_unclosed_one_ends_the_list() {
        let found: Vec<_> =
            placeholders("/a/{{ id }}/{{c.x}}/{{random_int(1,2)}}?t={{token").collect();
        assert_eq!(found, ["id", "c.x", "random_int(1,2)"]);
    }
}
