//! Request text as pieces: recorded text, a capture rendered as `{{name}}`, or an
//! environment variable `${NAME}` standing for a secret that is never written.

/// One piece of a request's path, header value or body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Recorded text; `secret` names the variable it becomes if no capture explains it
    /// (a cookie, a credential, a password field).
    Text {
        text: String,
        secret: Option<String>,
    },
    /// Capture number `n` of the import.
    Capture(usize),
    /// An environment variable, by name.
    Var(String),
}

/// A whole text: its pieces in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Parts(pub(crate) Vec<Piece>);

/// Bytes that continue a value: a match must not have one right before or after it, so
/// `pay_1` is not found inside `pay_12`.
fn word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl Parts {
    /// Plain recorded text.
    pub(crate) fn text(text: impl Into<String>) -> Parts {
        Parts(vec![Piece::Text {
            text: text.into(),
            secret: None,
        }])
    }

    /// Appends recorded text, a secret when `secret` names its variable.
    pub(crate) fn push(&mut self, text: impl Into<String>, secret: Option<&str>) {
        let text = text.into();
        if !text.is_empty() {
            self.0.push(Piece::Text {
                text,
                secret: secret.map(str::to_owned),
            });
        }
    }

    /// True when `value` stands in the recorded text as a whole word.
    pub(crate) fn contains(&self, value: &str) -> bool {
        self.0.iter().any(|p| match p {
            Piece::Text { text, .. } => find_word(text, value, 0).is_some(),
            _ => false,
        })
    }

    /// Replaces every whole-word `value` in recorded text by capture `n`; how many.
    pub(crate) fn replace(&mut self, value: &str, n: usize) -> usize {
        let mut count = 0;
        let mut out = Vec::with_capacity(self.0.len());
        for piece in self.0.drain(..) {
            let Piece::Text { text, secret } = piece else {
                out.push(piece);
                continue;
            };
            let mut from = 0;
            let mut rest_start = 0;
            while let Some(at) = find_word(&text, value, from) {
                if at > rest_start {
                    out.push(Piece::Text {
                        text: text[rest_start..at].to_owned(),
                        secret: secret.clone(),
                    });
                }
                out.push(Piece::Capture(n));
                count += 1;
                rest_start = at + value.len();
                from = rest_start;
            }
            if rest_start < text.len() {
                out.push(Piece::Text {
                    text: text[rest_start..].to_owned(),
                    secret,
                });
            }
        }
        self.0 = out;
        count
    }

    /// Turns secret text left unexplained into its variable; `name_of` picks the variable's
    /// final name for (suggested name, recorded value).
    pub(crate) fn hide_secrets(&mut self, mut name_of: impl FnMut(&str, &str) -> String) {
        for piece in &mut self.0 {
            if let Piece::Text {
                text,
                secret: Some(var),
            } = piece
            {
                let name = name_of(var, text);
                *piece = Piece::Var(name);
            }
        }
    }

    /// The recorded text only (captures and variables left out), for naming.
    pub(crate) fn plain(&self, captures: &[String]) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text { text, .. } => text.as_str(),
                Piece::Capture(n) => captures.get(*n).map_or("", String::as_str),
                Piece::Var(v) => v.as_str(),
            })
            .collect()
    }
}

/// The first whole-word occurrence of `value` in `text` at or after `from`.
fn find_word(text: &str, value: &str, from: usize) -> Option<usize> {
    if value.is_empty() {
        return None;
    }
    let b = text.as_bytes();
    let mut start = from;
    while let Some(i) = text.get(start..)?.find(value) {
        let at = start + i;
        let end = at + value.len();
        let before = at == 0 || !word(b[at - 1]) || !word(value.as_bytes()[0]);
        let after = end == b.len() || !word(b[end]) || !word(value.as_bytes()[value.len() - 1]);
        if before && after {
            return Some(at);
        }
        start = at + text[at..].chars().next().map_or(1, char::len_utf8);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_found_and_replaced_as_whole_words_only() {
        let mut p = Parts::text("/api/payments/pay_1/refund?x=pay_12");
        assert!(p.contains("pay_1"));
        assert!(!p.contains("pay_"));
        assert_eq!(p.replace("pay_1", 0), 1);
        assert_eq!(
            p.0,
            vec![
                Piece::Text {
                    text: "/api/payments/".into(),
                    secret: None
                },
                Piece::Capture(0),
                Piece::Text {
                    text: "/refund?x=pay_12".into(),
                    secret: None
                },
            ]
        );
        assert_eq!(p.plain(&["id".into()]), "/api/payments/id/refund?x=pay_12");
    }

    #[test]
    fn a_secret_left_unexplained_becomes_its_variable() {
        let mut p = Parts::default();
        p.push("Bearer ", None);
        p.push("abc.def", Some("AUTH_TOKEN"));
        p.hide_secrets(|v, _| v.to_owned());
        assert_eq!(p.0[1], Piece::Var("AUTH_TOKEN".into()));
        let mut p = Parts::default();
        p.push("Bearer ", None);
        p.push("abc.def", Some("AUTH_TOKEN"));
        p.replace("abc.def", 3);
        p.hide_secrets(|v, _| v.to_owned());
        assert_eq!(
            p.0[1],
            Piece::Capture(3),
            "a captured credential stays a capture"
        );
    }
}
