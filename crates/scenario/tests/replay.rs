//! Replayed traffic curves: the three file formats counted into buckets, every problem of a
//! trace at its line, a rate pattern's every bad value at once, and the arrival schedule of
//! a compressed, scaled replay following the file's counts within Poisson noise.

use super::problems;
use loadgen_engine::{ArrivalSchedule, Segment, Spacing};
use loadgen_scenario::pattern::replay::{read_trace, TraceFormat};
use loadgen_scenario::pattern::{parse_in, Pattern};
use loadgen_scenario::{parse, ModelSpec};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn trace(text: &str) -> loadgen_scenario::pattern::replay::Trace {
    read_trace(text.as_bytes(), None, None).unwrap()
}

fn lines_of(text: &str) -> Vec<(usize, String)> {
    read_trace(text.as_bytes(), None, None)
        .unwrap_err()
        .into_iter()
        .map(|p| (p.line, p.message))
        .collect()
}

#[test]
fn csv_rows_in_rfc3339_or_unix_seconds_fill_their_grid() {
    let t = trace(
        "# generated\ntimestamp,count\n2026-12-01T00:00:00Z,5\n2026-12-01T00:01:00Z,7\n\
         2026-12-01T00:03:00Z,2\n",
    );
    assert_eq!(t.bucket, 60.0, "per-minute rows");
    assert_eq!(
        t.counts,
        vec![5.0, 7.0, 0.0, 2.0],
        "a missing minute counts 0"
    );
    assert_eq!(t.start, 1_796_083_200.0);
    let u = trace("1764547200,1\n1764547201,2.5\n1764547202,0\n");
    assert_eq!((u.bucket, u.counts), (1.0, vec![1.0, 2.5, 0.0]));
}

#[test]
fn nginx_and_alb_logs_are_counted_by_their_timestamps() {
    let nginx = "127.0.0.1 - - [01/Dec/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl\"\n\
                 127.0.0.1 - - [01/Dec/2026:10:00:00 +0000] \"GET /a HTTP/1.1\" 200 5 \"-\" \"curl\"\n\
                 127.0.0.1 - - [01/Dec/2026:11:00:02 +0100] \"POST / HTTP/1.1\" 201 5 \"-\" \"curl\"\n";
    let t = trace(nginx);
    assert_eq!(
        (t.bucket, t.counts),
        (1.0, vec![2.0, 0.0, 1.0]),
        "time zones honoured"
    );
    // Two ALB lines: the first with a request_creation_time a second before its time.
    let alb = "https 2026-12-01T10:00:01.500000Z app/lb/1 10.0.0.1:4000 10.0.1.1:80 0.001 0.002 0.000 200 200 34 366 \"GET https://x:443/ HTTP/1.1\" \"curl/8\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:tg \"Root=1-x\" \"x\" \"arn:cert\" 0 2026-12-01T10:00:00.400000Z \"forward\" \"-\" \"-\" \"10.0.1.1:80\" \"200\" \"-\" \"-\"\n\
               http 2026-12-01T10:00:01.900000Z app/lb/1 10.0.0.2:4000 10.0.1.1:80 0.001 0.002 0.000 200 200 34 366 \"GET http://x:80/ HTTP/1.1\" \"curl/8\" - - arn:tg \"Root=1-y\" \"-\" \"-\" 0\n";
    let t = trace(alb);
    assert_eq!(t.counts, vec![1.0, 1.0], "request_creation_time, else time");
    assert_eq!(t.start, 1_796_119_200.0);
}

#[test]
fn every_problem_of_a_trace_is_reported_at_its_line() {
    let p = lines_of(
        "timestamp,count\n1764547200,1\n1764547201,1\n1764547202,lots\nyesterday,3\n1764547202.5,1\n1764547203,1,2\n",
    );
    let at: Vec<usize> = p.iter().map(|x| x.0).collect();
    assert_eq!(at, vec![4, 5, 7, 6], "{p:#?}");
    assert!(p[0].1.contains("count `lots`"), "{p:#?}");
    assert!(p[1].1.contains("RFC 3339"), "{p:#?}");
    assert!(p[2].1.contains("3 columns"), "{p:#?}");
    assert!(p[3].1.contains("grid"), "{p:#?}");
    let order = lines_of("1764547205,1\n1764547200,1\n");
    assert_eq!(order[0].0, 2);
    assert!(order[0].1.contains("time order"));
    assert_eq!(
        lines_of("# nothing\n")[0].1,
        "no data: the file has no rows"
    );
    let nginx = lines_of(
        "1.2.3.4 - - [01/Dec/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"c\"\n\
         1.2.3.4 - - [01/Dec/2026 10:00:01] \"GET / HTTP/1.1\" 200 5 \"-\" \"c\"\n",
    );
    assert_eq!(nginx[0].0, 2, "{nginx:?}");
    let explicit = read_trace(&b"a,b\n"[..], Some(TraceFormat::Alb), None).unwrap_err();
    assert_eq!(explicit[0].line, 1);
}

/// A folder with `traffic.csv` holding `text`, and the scenario file beside it.
fn folder(name: &str, text: &str, scenario: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("loadgen-replay-{}-{name}", std::process::id()));
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("data/traffic.csv"), text).unwrap();
    let file = dir.join("s.toml");
    std::fs::write(&file, scenario).unwrap();
    (dir, file.display().to_string())
}

fn scenario(rate: &str) -> String {
    format!(
        "name = \"r\"\n[[workload]]\nname = \"w\"\nmodel = \"open\"\nrate = {rate}\nmax_vus = 10\n  [[workload.step]]\n  name = \"s\"\n  http = {{ path = \"/\" }}\n"
    )
}

#[test]
fn a_replay_is_read_relative_to_the_scenario_and_lasts_its_compressed_length() {
    let text = "timestamp,count\n2026-12-01T00:00:00Z,60\n2026-12-01T00:01:00Z,120\n";
    let sc = scenario(r#"{ replay = "data/traffic.csv", time_scale = 60, scale = 2.0 }"#);
    let (dir, file) = folder("ok", text, &sc);
    let s = loadgen_scenario::load(Path::new(&file), &|_| None).unwrap();
    let ModelSpec::Open { rate, duration, .. } = &s.workloads[0].model else {
        panic!("open")
    };
    assert_eq!(*duration, Duration::from_secs(2), "two minutes at 60x");
    assert_eq!(
        rate.rate(0.5),
        120.0,
        "60 per minute bucket played in 1 s, twice"
    );
    assert_eq!(rate.rate(1.5), 240.0);
    assert_eq!(rate.peak(2.0), 240.0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_bad_trace_is_reported_at_its_line_and_at_the_scenario_field() {
    let sc = scenario(r#"{ replay = "data/traffic.csv", time_scale = 0, formt = "csv" }"#);
    let (dir, file) = folder("bad", "timestamp,count\n1764547200,1\n1764547201,-4\n", &sc);
    let text = std::fs::read_to_string(&file).unwrap();
    let err = parse(&text, &file, &|_| None).unwrap_err().to_string();
    let trace = dir.join("data/traffic.csv").display().to_string();
    assert!(
        err.contains("workload[0].rate.formt: unknown field"),
        "{err}"
    );
    assert!(
        err.contains("workload[0].rate.time_scale: must be positive"),
        "{err}"
    );
    std::fs::write(&file, scenario(r#"{ replay = "data/traffic.csv" }"#)).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let err = parse(&text, &file, &|_| None).unwrap_err().to_string();
    assert!(
        err.contains(&format!(
            "s.toml:5:19: workload[0].rate.replay: {trace}:3: count `-4`"
        )),
        "{err}"
    );
    std::fs::write(&file, scenario(r#"{ replay = "data/missing.csv" }"#)).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let err = parse(&text, &file, &|_| None).unwrap_err().to_string();
    assert!(
        err.contains("workload[0].rate.replay: cannot read the trace"),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn every_bad_value_of_a_rate_pattern_is_reported_at_once() {
    let p = problems(&scenario(
        r#"{ pattern = "burst", base = "10/q", peak = "20/x", every = "-", at = ["1s", 3] }"#,
    ));
    let fields: Vec<&str> = p
        .iter()
        .map(|l| l.split(": ").nth(1).unwrap_or(""))
        .collect();
    assert_eq!(
        fields,
        [
            "workload[0].rate.base",
            "workload[0].rate.peak",
            "workload[0].rate.every",
            "workload[0].rate.at[1]"
        ],
        "{p:#?}"
    );
    // Inside a sum, each part's problems under its index.
    let p = problems(&scenario(
        r#"{ pattern = "sum", parts = ["1/q", { pattern = "sine", base = "x", amplitude = "1/s" }] }"#,
    ));
    assert_eq!(p.len(), 3, "{p:#?}");
    for field in [
        "workload[0].rate.parts[0]: invalid rate",
        "workload[0].rate.parts[1].base: invalid rate",
        "workload[0].rate.parts[1].period: required",
    ] {
        assert!(p.iter().any(|l| l.contains(field)), "{field}: {p:#?}");
    }
}

/// Arrivals of `p` per played second over `secs`.
fn per_second(p: &Pattern, secs: u64, seed: u64) -> Vec<f64> {
    let mut counts = vec![0.0; secs as usize];
    let arrivals = ArrivalSchedule::new(
        Arc::new(p.clone()),
        Duration::from_secs(secs),
        Spacing::Poisson,
        seed,
        Segment::WHOLE,
    );
    for (_, t) in arrivals {
        counts[t.as_secs() as usize] += 1.0;
    }
    counts
}

#[test]
fn compressed_scaled_poisson_arrivals_follow_the_file_within_five_sigma() {
    // 10 minutes of per-second counts, played at 10x and scaled 3x: each played second is
    // ten file seconds, expected 3 × their sum.
    let mut text = String::from("timestamp,count\n");
    let file: Vec<f64> = (0..600).map(|i| (20 + (i * 37) % 90) as f64).collect();
    for (i, n) in file.iter().enumerate() {
        text.push_str(&format!("{},{n}\n", 1_796_083_200 + i));
    }
    let dir = std::env::temp_dir().join(format!("loadgen-replay-{}-sigma", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("t.csv"), &text).unwrap();
    let v: toml::Table =
        toml::from_str(r#"rate = { replay = "t.csv", time_scale = 10, scale = 3.0 }"#).unwrap();
    let p = parse_in(&v["rate"], &dir).unwrap();
    let got = per_second(&p, 60, 7);
    for (s, n) in got.iter().enumerate() {
        let want = 3.0 * file[s * 10..s * 10 + 10].iter().sum::<f64>();
        assert!(
            (n - want).abs() <= 5.0 * want.sqrt(),
            "second {s}: {n} vs {want}"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}
