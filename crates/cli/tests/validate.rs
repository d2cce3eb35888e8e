use crate::support::*;

#[test]
fn the_shipped_scenarios_are_valid() {
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios")).unwrap()
    {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let o = run(&["validate", path.to_str().unwrap()]);
            assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        }
    }
}

#[test]
fn a_scenario_mistake_names_file_line_column_and_field_and_exits_2() {
    let dir = scratch("bad-scenario");
    let f = write(
        &dir,
        "bad.toml",
        r#"name = "bad"
target = "http://127.0.0.1:1"
duration = "10s"

[[workload]]
name = "w"
model = "open"
rate = "50/mn"
max_vus = 10

  [[workload.step]]
  name = "s"
  http = { method = "GET", path = "/" }
"#,
    );
    let o = run(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.toml:8:"), "{err}");
    assert!(err.contains("rate"), "{err}");
    assert!(err.contains("50/mn"), "{err}");

    // An unknown field is an error too, and `run` refuses the file the same way.
    let f = write(&dir, "unknown.toml", "name = \"x\"\nduraton = \"1s\"\n");
    let o = run(&["run", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("unknown.toml:2:1") && err.contains("duraton"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let o = run(&["run"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = run(&["run", "scenarios/does-not-exist.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn every_shipped_scenario_runs_green_on_the_embedded_target() {
    let dir = scratch("shipped");
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios")).unwrap()
    {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let out = dir.join(&name);
        // Most scenarios are shortened to 4 s. websocket-concurrency holds each connection
        // for 9 s and runs at full length; market-data-flood runs as its own test does
        // (shortened, without its wall-clock message rate: see `ws::market_data_flood`).
        let mut args = vec!["run"];
        let file = match name.as_str() {
            "market-data-flood" => crate::ws::market_data_flood(&scratch("shipped-market")),
            _ => path.clone(),
        };
        args.push(file.to_str().unwrap());
        if !["websocket-concurrency", "market-data-flood"].contains(&name.as_str()) {
            args.extend(["--duration", "4s"]);
        }
        args.extend(["--quiet", "--out", out.to_str().unwrap()]);
        let o = run(&args);
        if o.status.code() != Some(0) {
            failures.push(text(&o));
            continue;
        }
        let s = summary(&out);
        assert!(s["totals"]["requests"].as_u64().unwrap() > 0, "{name}: {s}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_summary_schema_rejects_what_it_should() {
    assert!(!schema_errors(&serde_json::json!({ "schema_version": 1 })).is_empty());
    assert!(!schema_errors(&serde_json::json!({ "schema_version": 2 })).is_empty());
}
