//! Careless and hostile input is refused as bad input (exit 2) with a message that says
//! what to change, before any load is sent: never a panic, an abort or a run that cannot end.

use crate::support::*;

fn refused(o: &std::process::Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "{}", text(o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains(needle), "expected {needle:?} in:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn thread_counts_outside_1_to_1024_are_bad_input() {
    for (n, needle) in [
        ("0", "at least 1 thread"),
        ("100000", "at most 1024 threads"),
        ("many", "not a whole number"),
    ] {
        // Port 9 on loopback is never contacted: the flag is refused while parsing.
        let o = run(&[
            "run",
            "--url",
            "http://127.0.0.1:9/",
            "--duration",
            "1s",
            "--threads",
            n,
        ]);
        refused(&o, needle);
    }
}

#[test]
fn an_out_folder_that_cannot_be_created_is_bad_input() {
    let dir = scratch("bad-out");
    let file = write(&dir, "a-file", "not a folder");
    let out = file.join("results");
    let o = run(&[
        "run",
        "--url",
        "http://127.0.0.1:9/",
        "--duration",
        "1s",
        "--out",
        out.to_str().unwrap(),
    ]);
    refused(&o, "--out");
}

#[test]
fn zero_and_absurd_rates_are_refused_with_the_arithmetic() {
    let dir = scratch("rates");
    let step = "[[workload.step]]\nname = \"s\"\nhttp = { method = \"GET\", path = \"/health\" }\n";
    let f = write(
        &dir,
        "rates.toml",
        &format!(
            "name = \"rates\"\n\
             [[workload]]\nname = \"none\"\nmodel = \"open\"\nrate = \"0/s\"\nmax_vus = 5\nduration = \"2s\"\n{step}\
             [[workload]]\nname = \"typo\"\nmodel = \"open\"\nrate = \"1e12/s\"\nmax_vus = 5\nduration = \"2s\"\n{step}"
        ),
    );
    let o = run(&["validate", f.to_str().unwrap()]);
    refused(&o, "rates.toml:5:8: workload[0].rate: the rate is 0/s");
    refused(
        &o,
        "rates.toml:14:8: workload[1].rate: peaks at 1000000000000 arrivals/s",
    );
    for (rate, needle) in [
        ("0/s", "would send nothing"),
        ("1e12/s", "above the ceiling"),
    ] {
        let o = run(&[
            "run",
            "--url",
            "http://127.0.0.1:9/",
            "--rate",
            rate,
            "--duration",
            "1s",
        ]);
        refused(&o, needle);
    }
}

#[test]
fn ad_hoc_flags_beside_a_scenario_file_are_refused_not_ignored() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/ecommerce-burst.toml"
    );
    let o = run(&["run", file, "--vus", "10", "--duration", "1s"]);
    refused(&o, "--vus applies only to ad-hoc runs");
    let o = run(&["run", file, "--rate", "5/s", "--threshold", "p(99)<1ms"]);
    refused(&o, "--rate, --threshold apply only to ad-hoc runs");
    // The deploy manifests' checker refuses the same line.
    let o = run(&["check-args", "run", file, "-H", "x: y"]);
    refused(&o, "--header applies only");
}

#[test]
fn a_start_beyond_the_horizon_is_refused_and_a_near_one_says_what_it_waits_for() {
    let o = run(&[
        "run",
        "--url",
        "http://127.0.0.1:9/",
        "--duration",
        "1s",
        "--start-at",
        "2099-01-01T00:00:00Z",
    ]);
    refused(&o, "beyond the 24 h horizon");

    let target = Target::start(&[]);
    let dir = scratch("start-soon");
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::seconds(3))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let o = health_run(&target, &dir.join("out"), &["--start-at", &soon]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains(&format!("for --start-at {soon}")),
        "{stdout}"
    );
}

#[test]
fn names_too_long_for_a_folder_or_with_control_characters_are_refused_where_they_are_read() {
    let dir = scratch("names");
    let long = "n".repeat(300);
    let f = write(
        &dir,
        "names.toml",
        &format!(
            "name = \"{long}\"\n\
             [[workload]]\nname = \"w\"\nmodel = \"closed\"\nvus = 1\nduration = \"1s\"\n\
             [[workload.step]]\nname = \"a\\u0000b\"\nhttp = {{ method = \"GET\", path = \"/health\" }}\n"
        ),
    );
    let o = run(&["validate", f.to_str().unwrap()]);
    refused(
        &o,
        "names.toml:1:8: name: is 300 characters long; at most 100",
    );
    refused(
        &o,
        "names.toml:8:8: workload[0].step[0].name: contains the control character U+0000",
    );
}

/// `validate`'s stderr for a scenario written into a scratch folder.
fn validate_text(dir: &std::path::Path, file: &str, toml: &str) -> (Option<i32>, String) {
    let f = write(dir, file, toml);
    let o = run(&["validate", f.to_str().unwrap()]);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn every_mistake_is_reported_once_located_and_none_is_invented() {
    let dir = scratch("mistakes");
    let shipped = include_str!("../../../scenarios/ecommerce-burst.toml");
    // A bad unit and a bad model leave their workload out; its steps still exist in the
    // file, so the thresholds that name them must not be blamed.
    for (file, text, needle) in [
        (
            "unit.toml",
            shipped.replace("start_rate = \"20/s\"", "start_rate = \"20/mn\""),
            "unknown unit \"mn\"",
        ),
        (
            "model.toml",
            shipped.replacen("model = \"open\"", "model = \"opne\"", 1),
            "unknown model `opne`",
        ),
    ] {
        assert_ne!(text, shipped, "{file}: the replacement must apply");
        let (code, stderr) = validate_text(&dir, file, &text);
        assert_eq!(code, Some(2), "{stderr}");
        assert_eq!(stderr.matches(needle).count(), 1, "{stderr}");
        assert!(!stderr.contains("no step is named"), "invented: {stderr}");
        assert!(
            !stderr.contains("problems in"),
            "one problem only: {stderr}"
        );
    }

    let (code, stderr) = validate_text(
        &dir,
        "typo.toml",
        &shipped.replacen("max_vus", "max_vsu", 1),
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("did you mean `max_vus`?"), "{stderr}");

    let o = run(&["validate", dir.join("absent.toml").to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.matches("No such file").count(),
        1,
        "printed once: {stderr}"
    );

    let o = run(&[
        "run",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../scenarios/ecommerce-burst.toml"
        ),
        "--target",
        "127.0.0.1:9",
    ]);
    refused(&o, "--target (or TARGET_URL) `127.0.0.1:9` has no scheme");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("workload"), "blamed on the flag: {stderr}");
    assert_eq!(
        stderr.matches("127.0.0.1:9").count(),
        1,
        "printed once: {stderr}"
    );
}

#[test]
fn feeders_name_their_missing_columns_with_a_location_and_refuse_a_fifo() {
    let dir = scratch("feeders");
    write(&dir, "c.csv", "id,email\n1,a@example.com\n");
    let scenario = |file: &str, column: &str| {
        format!(
            "name = \"feed\"\n[feeder.customers]\nfile = \"{file}\"\n\
             [[workload]]\nname = \"w\"\nmodel = \"closed\"\nvus = 1\nduration = \"1s\"\n\
             [[workload.step]]\nname = \"s\"\nhttp = {{ method = \"GET\", path = \"/health?c={{{{customers.{column}}}}}\" }}\n"
        )
    };
    let (code, stderr) = validate_text(&dir, "column.toml", &scenario("c.csv", "nope"));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "column.toml:11:33: workload[0].step[0].http.path: feeder `customers` has no column `nope` (its columns: id, email)"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.matches("nope").count(), 1, "printed once: {stderr}");

    // A FIFO nobody writes to would block a read forever; validate refuses it at once.
    let fifo = dir.join("fifo.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let (code, stderr) = validate_text(&dir, "fifo.toml", &scenario("fifo.csv", "id"));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("is not a regular file"), "{stderr}");
}

#[test]
fn an_unservable_rate_ends_at_the_planned_end_plus_graceful_stop_with_every_arrival_counted() {
    // 10M arrivals/s (the ceiling) for 2 s against 20 VUs: far more than one process can
    // send. The run must still end at 2 s + the ad-hoc graceful stop (2 s), count what it
    // could not send as dropped, and keep memory bounded.
    let target = Target::start(&[]);
    let dir = scratch("overload");
    let out = dir.join("out");
    let url = format!("{}/health", target.url);
    let began = std::time::Instant::now();
    let o = run(&[
        "run",
        "--url",
        &url,
        "--rate",
        "10000000/s",
        "--vus",
        "20",
        "--duration",
        "2s",
        "--threads",
        "1",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let wall = began.elapsed();
    assert!(
        matches!(o.status.code(), Some(0 | 3)),
        "a verdict, not a crash: {}",
        text(&o)
    );
    // A hang guard, not a speed claim: the old code took 37 s at a higher rate.
    assert!(wall < std::time::Duration::from_secs(30), "{wall:?}");
    let s = summary(&out);
    let w = &s["workloads"][0];
    let accounted = w["iterations"].as_u64().unwrap()
        + w["dropped"].as_u64().unwrap()
        + w["interrupted"].as_u64().unwrap();
    assert_eq!(
        accounted, 20_000_000,
        "every planned arrival is sent, dropped or interrupted: {w}"
    );
    // Nothing is released after the planned end plus the graceful stop (by construction),
    // so no arrival can be later than 4 s; the old generator released them 7 s late.
    let lag_max = w["schedule_lag"]["max"].as_f64().unwrap();
    assert!(lag_max <= 4_500.0, "schedule lag max {lag_max} ms: {w}");
    let rss = s["generator"]["peak_rss_mib"].as_f64().unwrap();
    assert!(rss < 64.0, "peak RSS {rss} MiB");
}
