//! `${VAR}` substitution in the string values of a scenario, before TOML parsing.
//!
//! * `${VAR}` is replaced by the variable's value; unset is an error naming the variable.
//! * `${VAR:-default}` uses `default` (source text, taken as written) when `VAR` is unset or
//!   empty, as in a POSIX shell.
//! * `$${` writes a literal `${`. `${{` is left alone, so `{{uuid}}`-style per-iteration
//!   template variables right after a `$` survive, as do all other `{{...}}`.
//! * Only the inside of TOML strings (basic, literal, multi-line; keys too) is touched;
//!   comments and bare values are copied as they are, so a commented-out `${X}` needs no `X`.
//!
//! Line numbers stay those of the file: a value holding a line break is rejected, and so is
//! one holding `"` (or `'` inside a literal `'...'` string), which would end the string
//! early; a `\` in a value put into a `"..."` string is escaped so it arrives as written.
//! Columns after a substitution shift; [`OffsetMap`] maps them back to the file.

use crate::location::OffsetMap;

/// The text with every variable substituted, and how its offsets map back to the file.
#[derive(Debug)]
pub(crate) struct Interpolated {
    pub text: String,
    pub map: OffsetMap,
}

/// A substitution that failed, at a byte offset of the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InterpolationError {
    pub offset: usize,
    pub message: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Normal,
    Comment,
    Basic,
    Literal,
    MultiBasic,
    MultiLiteral,
}

impl Ctx {
    fn is_basic(self) -> bool {
        matches!(self, Ctx::Basic | Ctx::MultiBasic)
    }
}

/// Substitutes every `${...}` inside the strings of `src`, looking variables up with `env`.
pub(crate) fn interpolate(
    src: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Interpolated, Vec<InterpolationError>> {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut map = OffsetMap::default();
    let mut errors = Vec::new();
    let mut ctx = Ctx::Normal;
    let mut copied = 0; // src[..copied] is already in `out`
    let mut i = 0;
    let at = |i: usize, pat: &str| src.as_bytes()[i..].starts_with(pat.as_bytes());
    while i < b.len() {
        let c = b[i];
        match ctx {
            Ctx::Normal => {
                ctx = if at(i, "\"\"\"") {
                    i += 2;
                    Ctx::MultiBasic
                } else if at(i, "'''") {
                    i += 2;
                    Ctx::MultiLiteral
                } else {
                    match c {
                        b'"' => Ctx::Basic,
                        b'\'' => Ctx::Literal,
                        b'#' => Ctx::Comment,
                        _ => Ctx::Normal,
                    }
                };
                i += 1;
            }
            Ctx::Comment => {
                if c == b'\n' {
                    ctx = Ctx::Normal;
                }
                i += 1;
            }
            _ if c == b'\\' && ctx.is_basic() => {
                // An escape: skip the next character whatever it is (it may be `"` or `$`).
                i += 1;
                if i < b.len() && b[i] != b'\n' {
                    i += src[i..].chars().next().map_or(1, char::len_utf8);
                }
            }
            Ctx::Basic | Ctx::Literal if c == b'\n' => {
                ctx = Ctx::Normal; // unterminated: TOML reports it
                i += 1;
            }
            Ctx::Basic if c == b'"' => {
                ctx = Ctx::Normal;
                i += 1;
            }
            Ctx::Literal if c == b'\'' => {
                ctx = Ctx::Normal;
                i += 1;
            }
            Ctx::MultiBasic | Ctx::MultiLiteral
                if at(
                    i,
                    if ctx == Ctx::MultiBasic {
                        "\"\"\""
                    } else {
                        "'''"
                    },
                ) =>
            {
                // A closing delimiter may carry up to two more quotes of content.
                i += 3;
                let mut extra = 0;
                while extra < 2 && i < b.len() && b[i] == b[i - 1] {
                    i += 1;
                    extra += 1;
                }
                ctx = Ctx::Normal;
            }
            _ if c == b'$' && at(i, "$${") => {
                out.push_str(&src[copied..i]);
                let out_start = out.len();
                out.push_str("${");
                map.push(i..i + 3, out_start..out.len());
                i += 3;
                copied = i;
            }
            _ if c == b'$' && at(i, "${") && !at(i, "${{") => {
                let Some(len) = src[i + 2..]
                    .find(['}', '\n'])
                    .filter(|&n| b[i + 2 + n] == b'}')
                else {
                    errors.push(InterpolationError {
                        offset: i,
                        message: "unterminated \"${\": close it with \"}\", or write \"$${\" for a literal \"${\"".into(),
                    });
                    i += 2;
                    continue;
                };
                let end = i + 2 + len + 1;
                match substitute(&src[i + 2..end - 1], ctx, env) {
                    Ok(value) => {
                        out.push_str(&src[copied..i]);
                        let out_start = out.len();
                        out.push_str(&value);
                        map.push(i..end, out_start..out.len());
                        copied = end;
                    }
                    Err(message) => errors.push(InterpolationError { offset: i, message }),
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    out.push_str(&src[copied..]);
    Ok(Interpolated { text: out, map })
}

/// The replacement for the inside of one `${...}`.
fn substitute(
    inner: &str,
    ctx: Ctx,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let (name, default) = match inner.split_once(":-") {
        Some((n, d)) => (n, Some(d)),
        None => (inner, None),
    };
    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "invalid variable name {name:?} in \"${{{inner}}}\" (letters, digits and _; write \"$${{\" for a literal \"${{\")"
        ));
    }
    let value = env(name).filter(|v| !v.is_empty() || default.is_none());
    let Some(value) = value else {
        return match default {
            Some(d) => Ok(d.to_string()),
            None => Err(format!(
                "environment variable {name} is not set (give a default with ${{{name}:-value}})"
            )),
        };
    };
    let bad = |what: &str| {
        Err(format!(
            "environment variable {name} contains {what}, which cannot be put into this string"
        ))
    };
    if value.contains(['\n', '\r']) {
        return bad("a line break");
    }
    if value.contains('"') {
        return bad("a double quote (\")");
    }
    if value.contains('\'') && !ctx.is_basic() {
        return bad("a single quote (')");
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return bad("a control character");
    }
    Ok(if ctx.is_basic() {
        value.replace('\\', "\\\\")
    } else {
        value
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(k: &str) -> Option<String> {
        match k {
            "HOST" => Some("https://staging.example.com".into()),
            "EMPTY" => Some(String::new()),
            "MULTI" => Some("a\nb".into()),
            "QUOTE" => Some("say \"hi\"".into()),
            "WIN" => Some(r"C:\tmp".into()),
            _ => None,
        }
    }

    fn run(s: &str) -> Result<String, Vec<InterpolationError>> {
        interpolate(s, &env).map(|i| i.text)
    }

    #[test]
    fn substitutes_in_strings_only() {
        assert_eq!(
            run("t = \"${HOST}/x\" # ${NOPE}\n").unwrap(),
            "t = \"https://staging.example.com/x\" # ${NOPE}\n"
        );
        assert_eq!(
            run("t = '${HOST}'").unwrap(),
            "t = 'https://staging.example.com'"
        );
        assert_eq!(
            run("t = \"\"\"\n${HOST}\"\"\"").unwrap(),
            "t = \"\"\"\nhttps://staging.example.com\"\"\""
        );
        assert_eq!(
            run("\"${HOST}\" = 1").unwrap(),
            "\"https://staging.example.com\" = 1"
        );
    }

    #[test]
    fn defaults_escapes_and_templates() {
        assert_eq!(
            run("t = \"${NOPE:-embedded}\"").unwrap(),
            "t = \"embedded\""
        );
        assert_eq!(run("t = \"${EMPTY:-x}\"").unwrap(), "t = \"x\"");
        assert_eq!(run("t = \"${EMPTY}\"").unwrap(), "t = \"\"");
        assert_eq!(run("t = \"$${HOST}\"").unwrap(), "t = \"${HOST}\"");
        assert_eq!(
            run("t = \"{{uuid}} ${{x}}\"").unwrap(),
            "t = \"{{uuid}} ${{x}}\""
        );
        assert_eq!(
            run("t = \"\\\"${HOST}\"").unwrap(),
            "t = \"\\\"https://staging.example.com\""
        );
        assert_eq!(run(r#"t = "${WIN}""#).unwrap(), r#"t = "C:\\tmp""#);
        assert_eq!(run(r#"t = '${WIN}'"#).unwrap(), r#"t = 'C:\tmp'"#);
        assert_eq!(run("t = \"$5 and $ {x}\"").unwrap(), "t = \"$5 and $ {x}\"");
    }

    #[test]
    fn errors_name_the_variable_and_offset() {
        let e = run("a = 1\nt = \"${NOPE}\" \nu = \"${MULTI}${QUOTE}\"").unwrap_err();
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].offset, 11);
        assert_eq!(
            e[0].message,
            "environment variable NOPE is not set (give a default with ${NOPE:-value})"
        );
        assert!(e[1].message.contains("MULTI contains a line break"));
        assert!(e[2].message.contains("QUOTE contains a double quote"));
        let e = run("t = \"${1X}\" u = \"${X\"").unwrap_err();
        assert!(e[0].message.starts_with("invalid variable name \"1X\""));
        assert!(e[1].message.starts_with("unterminated"));
    }

    #[test]
    fn offsets_map_back() {
        let i = interpolate("t = \"${HOST}\" # x", &env).unwrap();
        let after = i.text.find(" #").unwrap();
        assert_eq!(i.map.to_original(after), "t = \"${HOST}\"".len());
        assert_eq!(i.map.to_original(7), 5); // inside the value: the `${`
        assert_eq!(i.map.to_original(2), 2);
    }
}
