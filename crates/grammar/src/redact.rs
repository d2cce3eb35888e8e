//! Secrets out of scenario copies: a results folder keeps a copy of its scenario (so `loadgen
//! merge` can rebuild the verdict), and that copy must not carry a webhook secret written
//! into the file, not even as a `${VAR:-default}`, nor the password of a URL
//! (`http://user:password@proxy`, `postgres://user:password@db`).

/// A stand-in that every signature scheme accepts (`whsec_` + base64 of "redacted-secret"),
/// so the copy still validates and merges.
pub const REDACTED_SECRET: &str = "whsec_cmVkYWN0ZWQtc2VjcmV0";

/// `text` with the value of every key ending in `secret` (`secret = "…"`,
/// `webhook_secret = "…"`) replaced: `${VAR}` and `${VAR:-default}` keep the variable and lose
/// the default, anything else becomes [`REDACTED_SECRET`].
pub fn redact_secrets(text: &str) -> String {
    // URL passwords by the one rule every URL shown by loadgen follows (`loadgen-redact`).
    loadgen_redact::url_passwords(&redact_secret_keys(text))
}

fn redact_secret_keys(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = find_secret_value(rest) {
        let (head, tail) = rest.split_at(at);
        out.push_str(head);
        let quote = tail.as_bytes()[0] as char;
        let Some(len) = tail[1..].find(quote) else {
            out.push_str(tail);
            return out;
        };
        let value = &tail[1..1 + len];
        out.push(quote);
        match value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) {
            Some(var) => {
                let name = var.split(":-").next().unwrap_or(var);
                out.push_str(&format!("${{{name}:-{REDACTED_SECRET}}}"));
            }
            None => out.push_str(REDACTED_SECRET),
        }
        out.push(quote);
        rest = &tail[len + 2..];
    }
    out.push_str(rest);
    out
}

/// Offset of the opening quote of the next `…secret = "…"` value in `s`.
fn find_secret_value(s: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s[from..].find("secret") {
        let key_end = from + i + "secret".len();
        let after = &s[key_end..];
        let trimmed = after.trim_start_matches([' ', '\t']);
        if let Some(v) = trimmed.strip_prefix('=') {
            let v = v.trim_start_matches([' ', '\t']);
            if v.starts_with('"') || v.starts_with('\'') {
                // The key must end here: `secret` is its last word.
                return Some(s.len() - v.len());
            }
        }
        from = key_end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_lose_their_values_and_variables_their_defaults() {
        let text = concat!(
            "webhook_secret = \"${WEBHOOK_SECRET:-whsec_dGVzdGtleQ}\"\n",
            "  webhook = { provider = \"stripe\", secret = \"whsec_literal\", path = \"/w\" }\n",
            "  webhook = { secret = '${ONLY_VAR}' }\n",
            "description = \"the secret of speed\"\n",
        );
        let out = redact_secrets(text);
        assert!(
            !out.contains("dGVzdGtleQ") && !out.contains("whsec_literal"),
            "{out}"
        );
        assert!(out.contains(&format!("\"${{WEBHOOK_SECRET:-{REDACTED_SECRET}}}\"")));
        assert!(out.contains(&format!("secret = \"{REDACTED_SECRET}\", path = \"/w\"")));
        assert!(out.contains(&format!("'${{ONLY_VAR:-{REDACTED_SECRET}}}'")));
        assert!(
            out.ends_with("description = \"the secret of speed\"\n"),
            "{out}"
        );
        assert_eq!(redact_secrets("name = \"x\"\n"), "name = \"x\"\n");
        // URL passwords: literal ones go, variables stay, URLs without one are untouched.
        let urls = concat!(
            "proxy = \"http://alice:hunter2@proxy.corp:3128\"\n",
            "url = 'postgres://app:${DB_PASSWORD}@db:5432/pay'\n",
            "target = \"https://user@api.example/path?q=a:b@c\"\n",
        );
        let out = redact_secrets(urls);
        assert!(!out.contains("hunter2"), "{out}");
        assert!(out.contains("http://alice:***@proxy.corp:3128\""), "{out}");
        assert!(
            out.contains("postgres://app:${DB_PASSWORD}@db:5432/pay"),
            "{out}"
        );
        assert!(
            out.contains("https://user@api.example/path?q=a:b@c"),
            "{out}"
        );
        assert_eq!(
            redact_secrets("secret = \"unterminated"),
            "secret = \"unterminated"
        );
    }
}
