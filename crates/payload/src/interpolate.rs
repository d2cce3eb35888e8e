//! `${VAR}` and `${VAR:-default}` in scenario text, resolved before TOML parsing.
//!
//! Substitution happens on the raw text so it works in every string, but a value may not
//! contain a newline or a double quote: that would move every later line (breaking error
//! locations) or break out of the string. `$${` writes a literal `${`. Per-iteration template
//! variables use double braces (`{{uuid}}`) and are left untouched.

/// One problem found while interpolating: byte offset in the original text and message.
#[derive(Debug, Clone, PartialEq)]
pub struct InterpolationError {
    /// Byte offset of the `${`.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

/// Replaces every `${VAR}` / `${VAR:-default}` using `env`; reports every problem at once.
pub fn interpolate(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Vec<InterpolationError>> {
    let mut out = String::with_capacity(text.len());
    let mut errors = Vec::new();
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < text.len() {
        if text[i..].starts_with("$${") {
            out.push_str("${");
            i += 3;
            continue;
        }
        if bytes[i] == b'$' && text[i..].starts_with("${") {
            let Some(close) = text[i + 2..].find('}') else {
                errors.push(InterpolationError {
                    offset: i,
                    message: "unclosed `${`".into(),
                });
                out.push_str(&text[i..]);
                break;
            };
            let inner = &text[i + 2..i + 2 + close];
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            let valid =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                errors.push(InterpolationError {
                    offset: i,
                    message: format!("invalid variable name `{name}`"),
                });
            } else {
                match env(name).or_else(|| default.map(str::to_string)) {
                    Some(v) if v.contains('\n') || v.contains('"') => errors.push(InterpolationError {
                        offset: i,
                        message: format!("the value of ${{{name}}} contains a newline or a double quote"),
                    }),
                    Some(v) => out.push_str(&v),
                    None => errors.push(InterpolationError {
                        offset: i,
                        message: format!("environment variable {name} is not set (give a default: ${{{name}:-value}})"),
                    }),
                }
            }
            i += 2 + close + 1;
            continue;
        }
        let ch = text[i..].chars().next().expect("in bounds");
        out.push(ch);
        i += ch.len_utf8();
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(k: &str) -> Option<String> {
        (k == "HOST").then(|| "example.com".to_string())
    }

    #[test]
    fn substitutes_defaults_escapes_and_leaves_templates() {
        let t = "a=${HOST} b=${PORT:-8080} c=$${HOST} d={{uuid}}";
        assert_eq!(
            interpolate(t, &env).unwrap(),
            "a=example.com b=8080 c=${HOST} d={{uuid}}"
        );
    }

    #[test]
    fn unset_variables_are_all_reported() {
        let e = interpolate("x=${A}\ny=${B}", &env).unwrap_err();
        assert_eq!(e.len(), 2);
        assert!(e[0].message.contains("A is not set"));
        assert_eq!(e[1].offset, 9);
    }

    #[test]
    fn values_that_would_move_lines_are_rejected() {
        let e = interpolate("x=\"${V}\"", &|_| Some("a\nb".into())).unwrap_err();
        assert!(e[0].message.contains("newline"));
    }
}
