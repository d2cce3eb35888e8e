//! `${VAR}` in scenario files.

use crate::common::load;
use loadgen_scenario::{parse, Target};

#[test]
fn default_applies_when_unset_and_value_when_set() {
    let s = load("good/full.toml", &[]).unwrap();
    assert_eq!(s.target, Target::Embedded);
    assert_eq!(s.http.headers[0], ("x-api-key".into(), "demo".into()));

    let s = load(
        "good/full.toml",
        &[
            ("TARGET_URL", "https://staging.example.com/"),
            ("API_KEY", "k-123"),
        ],
    )
    .unwrap();
    assert_eq!(s.target, Target::Url("https://staging.example.com".into()));
    assert_eq!(s.http.headers[0], ("x-api-key".into(), "k-123".into()));
}

const BASE: &str = "name = \"n\"\ntarget = \"embedded\"\nduration = \"10s\"\n[[workload]]\nname = \"w\"\nmodel = \"closed\"\nvus = 1\n[[workload.step]]\nname = \"s\"\n";

#[test]
fn templates_and_escapes_survive() {
    let text = format!(
        "{BASE}http = {{ method = \"GET\", path = \"/p/{{{{vu}}}}/$${{LITERAL}}/${{P}}\" }}\n"
    );
    let s = parse(&text, "x.toml", &|k| (k == "P").then(|| "q".to_string())).unwrap();
    assert_eq!(s.workloads[0].steps[0].http.path, "/p/{{vu}}/${LITERAL}/q");
}

#[test]
fn columns_after_a_substitution_point_into_the_file() {
    // `${M}` (4 bytes) becomes `GET` (3): the bad path must still be reported at its column.
    let text = format!("{BASE}http = {{ method = \"${{M}}\", path = \"nope\" }}\n");
    let e = parse(&text, "x.toml", &|k| (k == "M").then(|| "GET".to_string())).unwrap_err();
    assert_eq!(
        e.to_string(),
        "x.toml:10:34: workload[0].step[0].http.path: \"nope\" must start with \"/\" (the target URL comes first)"
    );
}

#[test]
fn values_that_would_break_the_file_are_rejected() {
    let text = format!("{BASE}http = {{ method = \"GET\", path = \"/${{X}}\" }}\n");
    let e = parse(&text, "x.toml", &|_| Some("a\"b".into())).unwrap_err();
    assert_eq!(
        e.to_string(),
        "x.toml:10:35: environment variable X contains a double quote (\"), which cannot be put into this string"
    );
    let e = parse(&text, "x.toml", &|_| Some("a\nb".into())).unwrap_err();
    assert!(e.to_string().contains("X contains a line break"), "{e}");
}
