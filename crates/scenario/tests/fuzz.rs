//! Property tests in the normal suite: no input makes the scenario, duration, rate, share,
//! threshold or pattern parsers panic, and a broken scenario always gets a located error.
//!
//! Inputs: arbitrary text, and every shipped scenario mutated byte by byte (deletions,
//! insertions of TOML punctuation, replacements), which reaches far deeper into validation
//! than random text does. 256 cases per property by default; `PROPTEST_CASES=100000 cargo
//! test -p loadgen-scenario --test main fuzz` runs a long campaign (see docs/faults.md, "Bad input").

use loadgen_scenario::{
    parse, parse_duration, parse_expression, parse_key, parse_rate, parse_share,
};
use loadgen_scenario::{MetricKind, ScenarioError};
use proptest::prelude::*;

fn shipped() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .map(|e| {
            let p = e.path();
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    assert!(v.len() >= 5, "the shipped scenarios are found");
    v
}

/// One edit of a text at a relative position.
#[derive(Debug, Clone)]
enum Edit {
    Delete(f64, usize),
    Insert(f64, &'static str),
    Replace(f64, char),
}

fn edit() -> impl Strategy<Value = Edit> {
    const BITS: [&str; 16] = [
        "\"",
        "[",
        "]",
        "{",
        "}",
        "=",
        ",",
        "\n",
        "#",
        "-1",
        "1e400",
        "${X}",
        "[[workload]]\n",
        "💥",
        "\\",
        "0",
    ];
    prop_oneof![
        (0.0..1.0, 1usize..40).prop_map(|(p, n)| Edit::Delete(p, n)),
        (0.0..1.0, prop::sample::select(&BITS[..])).prop_map(|(p, s)| Edit::Insert(p, s)),
        (0.0..1.0, any::<char>()).prop_map(|(p, c)| Edit::Replace(p, c)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut s: Vec<char> = text.chars().collect();
    for e in edits {
        let at = |p: f64, len: usize| ((p * len as f64) as usize).min(len);
        match e {
            Edit::Delete(p, n) => {
                let i = at(*p, s.len());
                let j = (i + n).min(s.len());
                s.drain(i..j);
            }
            Edit::Insert(p, bit) => {
                let i = at(*p, s.len());
                s.splice(i..i, bit.chars());
            }
            Edit::Replace(p, c) if !s.is_empty() => {
                let i = at(*p, s.len() - 1);
                s[i] = *c;
            }
            Edit::Replace(..) => {}
        }
    }
    s.into_iter().collect()
}

fn env(name: &str) -> Option<String> {
    (name == "X").then(|| "x".to_string())
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        let _ = parse(&text, "fuzz.toml", &env);
    }

    #[test]
    fn mutated_scenarios_fail_with_located_errors_or_parse(
        which in 0usize..64,
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let files = shipped();
        let (name, text) = &files[which % files.len()];
        let mutated = apply(text, &edits);
        match parse(&mutated, name, &env) {
            Ok(_) => {}
            Err(e @ ScenarioError::Invalid { .. }) => {
                let shown = e.to_string();
                // Every problem line is `file:line:col: field: message`.
                prop_assert!(
                    shown.lines().any(|l| l.starts_with(&format!("{name}:"))),
                    "unlocated error: {shown}"
                );
            }
            Err(other) => prop_assert!(false, "unexpected error kind: {other}"),
        }
    }

    #[test]
    fn unit_parsers_never_panic(s in ".{0,40}") {
        let _ = parse_duration(&s);
        let _ = parse_rate(&s);
        let _ = parse_share(&s);
    }

    #[test]
    fn numeric_looking_units_never_panic(n in any::<f64>(), unit in "(ms|s|m|h|us|/s|/min|/h|%|)") {
        let s = format!("{n}{unit}");
        let _ = parse_duration(&s);
        let _ = parse_rate(&s);
        let _ = parse_share(&s);
    }

    #[test]
    fn threshold_parsers_never_panic(key in ".{0,40}", expr in ".{0,40}") {
        let _ = parse_key(&key, &|_| None);
        for m in [MetricKind::Latency, MetricKind::Errors, MetricKind::Requests, MetricKind::Iterations] {
            let _ = parse_expression(m, &expr);
        }
    }

    #[test]
    fn pattern_tables_never_panic(kind in "(constant|stages|steps|sine|burst|business-hours|dca|sum|scale|nope)", a in ".{0,12}", b in any::<f64>()) {
        let text = format!(
            "name = \"p\"\nduration = \"10s\"\n[[workload]]\nname = \"w\"\nmodel = \"open\"\nmax_vus = 5\nrate = {{ pattern = \"{kind}\", base = \"{a}\", peak = {b}, every = \"{a}\", hold = \"1s\" }}\n  [[workload.step]]\n  name = \"s\"\n  http = {{ path = \"/\" }}\n"
        );
        let _ = parse(&text, "p.toml", &env);
    }
}
