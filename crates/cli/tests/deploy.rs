//! The deploy manifests (deploy/k8s/*.yaml, deploy/compose.yaml) call loadgen with command
//! lines the CLI accepts, for every segment index they produce.

use crate::support::*;
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `command:`/`args:` line written as a JSON-style flow list, with its file name.
fn command_lines() -> Vec<(String, Vec<String>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("deploy/k8s"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.push(repo().join("deploy/compose.yaml"));
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines() {
            let t = line.trim_start();
            let Some(list) = t
                .strip_prefix("args:")
                .or_else(|| t.strip_prefix("command:"))
            else {
                continue;
            };
            let v: Vec<String> = serde_json::from_str(list.trim())
                .unwrap_or_else(|e| panic!("{}: `{t}` is not a flow list: {e}", f.display()));
            out.push((f.file_name().unwrap().to_string_lossy().into_owned(), v));
        }
    }
    out
}

#[test]
fn manifest_command_lines_are_accepted_by_the_cli() {
    let lines = command_lines();
    let loadgen_calls: Vec<_> = lines
        .iter()
        .filter(|(_, v)| v.len() > 1 || v.first().is_some_and(|c| c != "loadgen"))
        .collect();
    // job.yaml, merge-job.yaml, and compose's three segments and merge.
    assert!(loadgen_calls.len() >= 6, "{lines:?}");
    let start_at = "2030-01-01T00:00:00Z";
    let mut checked = 0;
    for (file, argv) in loadgen_calls {
        let argv: Vec<&str> = match argv.first().map(String::as_str) {
            Some("loadgen") => argv[1..].iter().map(String::as_str).collect(),
            _ => argv.iter().map(String::as_str).collect(),
        };
        // The Indexed Job: every completion index becomes a segment of the job's 3.
        let indices: Vec<String> = if argv.iter().any(|a| a.contains("$(JOB_INDEX)")) {
            (0..3).map(|i| i.to_string()).collect()
        } else {
            vec![String::new()]
        };
        for i in &indices {
            let args: Vec<String> = argv
                .iter()
                .map(|a| {
                    a.replace("$(JOB_INDEX)", i)
                        .replace("$(START_AT)", start_at)
                        .replace("${START_AT}", start_at)
                })
                .collect();
            let o = check_args(&args);
            assert_eq!(o.status.code(), Some(0), "{file}: {args:?}\n{}", text(&o));
            checked += 1;
        }
    }
    assert!(checked >= 8, "{checked}");
}

#[test]
fn check_args_rejects_what_the_cli_would_reject() {
    for bad in [
        &["run", "x.toml", "--segmnt", "0/3"][..],
        &["run", "x.toml", "--segment", "3/3"],
        &["run", "x.toml", "--start-at", "tomorrow"],
        &["merge"],
        // Values the commands parse after clap, checked with the same functions.
        &["run", "--url", "http://x/", "--rate", "20k/s"],
        &["run", "x.toml", "--arrival-granularity", "250"],
        &["plan", "x.toml", "--assume-latency", "5sec"],
        &["compare", "a", "b", "--fail-if", "p99-up"],
        &["target", "--latency", "fast"],
        &["target", "--callback-delay", "soon"],
        &["worker", "--max-rate", "20000"],
        &["worker", "--max-duration", "30min"],
        &[
            "coordinator",
            "x.toml",
            "--workers",
            "a:1",
            "--duration",
            "1x",
        ],
    ] {
        let o = check_args(bad);
        assert_eq!(o.status.code(), Some(2), "{bad:?}\n{}", text(&o));
    }
}

#[test]
fn the_configmap_scenario_validates() {
    let yaml = std::fs::read_to_string(repo().join("deploy/k8s/configmap.yaml")).unwrap();
    let (_, block) = yaml
        .split_once("scenario.toml: |\n")
        .expect("a scenario.toml block");
    let scenario: String = block
        .lines()
        .take_while(|l| l.is_empty() || l.starts_with("    "))
        .map(|l| format!("{}\n", l.strip_prefix("    ").unwrap_or(l)))
        .collect();
    assert!(scenario.contains("[[workload]]"), "{scenario}");
    let dir = scratch("configmap");
    let f = write(&dir, "scenario.toml", &scenario);
    let o = bin()
        .args(["validate", f.to_str().unwrap()])
        .env("TARGET_URL", "http://payments:8080")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

/// Every PromQL expression of deploy/grafana/loadgen.json (panels and template variables),
/// with Grafana's variables given concrete values.
fn grafana_expressions() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("deploy/grafana/loadgen.json")).unwrap();
    let dash: serde_json::Value = serde_json::from_str(&text).unwrap();
    let concrete = |e: &str| {
        e.replace("$__rate_interval", "1m")
            .replace("$workload", ".*")
            .replace("$step", ".*")
    };
    let mut out = Vec::new();
    for panel in dash["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            out.push(concrete(target["expr"].as_str().unwrap()));
        }
    }
    for var in dash["templating"]["list"].as_array().unwrap() {
        if let Some(q) = var["query"]["query"].as_str() {
            // `label_values(METRIC{…}, label)` is Grafana's; its selector is PromQL.
            let inner = q
                .trim_start_matches("label_values(")
                .rsplit_once(',')
                .unwrap()
                .0;
            out.push(concrete(inner));
        }
    }
    out
}

#[test]
fn grafana_panels_only_name_metrics_the_endpoint_serves() {
    use loadgen_engine::{Metrics, StepInfo};
    let steps = vec![StepInfo {
        workload: 0,
        workload_name: "w".into(),
        name: "s".into(),
    }];
    let served = loadgen_report::prometheus::render(&Metrics::new(1, 1), &steps, &["w".into()]);
    let names: std::collections::HashSet<&str> = served
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split(['{', ' ']).next().unwrap())
        .collect();
    let exprs = grafana_expressions();
    assert!(exprs.len() >= 8, "{exprs:?}");
    for e in &exprs {
        let used: Vec<&str> = e
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("loadgen_"))
            .collect();
        assert!(!used.is_empty(), "`{e}` names no loadgen metric");
        for m in used {
            assert!(
                names.contains(m),
                "`{e}` uses {m}, which /metrics does not serve"
            );
        }
    }
}

#[test]
fn grafana_panels_are_valid_promql() {
    let Some(promtool) = loadgen_testkit::peer::PROMTOOL.require("grafana_panels_are_valid_promql")
    else {
        return;
    };
    // promtool parses PromQL when it checks recording rules: one rule per expression.
    let mut rules = String::from("groups:\n  - name: grafana\n    rules:\n");
    for (i, e) in grafana_expressions().iter().enumerate() {
        let quoted = serde_json::to_string(e).unwrap();
        rules.push_str(&format!(
            "      - record: loadgen:panel_{i}\n        expr: {quoted}\n"
        ));
    }
    let file = write(&scratch("grafana-rules"), "panels.rules.yml", &rules);
    let o = std::process::Command::new(promtool)
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "promtool check rules:\n{}{}\n{rules}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
