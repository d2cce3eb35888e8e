//! "Did you mean …?" for a misspelt field: serde's message lists the fields it expected,
//! and the closest one by edit distance is usually what the author meant.

/// The expected name closest to `unknown`, when it is close enough to be a typo.
pub fn closest<'a>(unknown: &str, expected: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (unknown.chars().count() / 3).max(2);
    expected
        .into_iter()
        .map(|e| (strsim::damerau_levenshtein(unknown, e), e))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, e)| e)
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" (or "expected `a`"), the same
/// message with "; did you mean `a`?" when one expected field is near.
pub fn with_suggestion(message: &str) -> String {
    let suggestion = message
        .strip_prefix("unknown field `")
        .and_then(|m| m.split_once('`'))
        .and_then(|(unknown, rest)| {
            let expected = rest.split_once("expected")?.1;
            let names = expected.split('`').skip(1).step_by(2);
            closest(unknown, names)
        });
    match suggestion {
        Some(s) => format!("{message}; did you mean `{s}`?"),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_near_field_is_suggested_and_a_far_one_is_not() {
        let m = "unknown field `pre_alocated_vus`, expected one of `name`, `max_vus`, `pre_allocated_vus`";
        assert!(with_suggestion(m).ends_with("; did you mean `pre_allocated_vus`?"));
        let m = "unknown field `colour`, expected one of `name`, `max_vus`";
        assert_eq!(with_suggestion(m), m);
        let m = "unknown field `nmae`, expected `name`";
        assert!(with_suggestion(m).ends_with("did you mean `name`?"));
    }
}
