//! No parser panics, whatever it is fed.

use loadgen_scenario::{parse, parse_duration, parse_rate, parse_ratio};
use proptest::prelude::*;
use std::time::Duration;

fn env(k: &str) -> Option<String> {
    match k {
        "A" => Some("x".into()),
        "B" => Some("a\"b\nc\\d'".into()),
        _ => None,
    }
}

proptest! {
    #[test]
    fn unit_parsers_never_panic(s in any::<String>()) {
        let _ = parse_duration(&s);
        let _ = parse_rate(&s);
        let _ = parse_ratio(&s);
    }

    #[test]
    fn unit_parsers_never_panic_on_near_misses(s in "[0-9.µsmhu/%: -]{0,16}") {
        let _ = parse_duration(&s);
        let _ = parse_rate(&s);
        let _ = parse_ratio(&s);
    }

    #[test]
    fn durations_round_trip(n in 0u64..100_000_000, unit in prop::sample::select(vec![("us", 1u64), ("ms", 1_000), ("s", 1_000_000)])) {
        prop_assert_eq!(parse_duration(&format!("{n}{}", unit.0)).unwrap(), Duration::from_micros(n * unit.1));
    }

    #[test]
    fn whole_files_never_panic(s in any::<String>()) {
        let _ = parse(&s, "f.toml", &env);
    }

    #[test]
    fn scenario_like_text_never_panics(
        s in r#"(\$\{[AB:-]{0,4}\}?|\$\$\{|[\"'#\n=\[\]{},$\\]|name|target|workload|step|model|open|closed|rate|vus|[a-z0-9_]{1,4}| ){0,60}"#
    ) {
        let _ = parse(&s, "f.toml", &env);
    }

    #[test]
    fn threshold_keys_and_expressions_never_panic(key in any::<String>(), expr in any::<String>()) {
        let text = format!(
            "name = \"n\"\ntarget = \"embedded\"\nduration = \"1s\"\n[[workload]]\nname = \"w\"\nmodel = \"closed\"\nvus = 1\n[[workload.step]]\nname = \"s\"\nhttp = {{ method = \"GET\", path = \"/\" }}\n[thresholds]\n{} = [{}]\n",
            serde_json::to_string(&key).unwrap(),
            serde_json::to_string(&expr).unwrap(),
        );
        let _ = parse(&text, "f.toml", &env);
    }
}
