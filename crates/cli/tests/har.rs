//! `loadgen import har` on a real recording (tests/fixtures/payment-journey.har, made by
//! mitmdump in front of the demo target): the imported journey validates once its variables
//! are set and runs against a demo target that requires a token, every read-back and refund
//! naming a payment the run created (the target's counters).

use crate::support::*;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/payment-journey.har"
);

#[test]
fn an_imported_recording_validates_and_runs_as_recorded_against_the_demo_target() {
    let o = run(&["import", "har", FIXTURE]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let scenario = String::from_utf8(o.stdout.clone()).unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("set before running") && stderr.contains("PASSWORD"),
        "{stderr}"
    );
    assert!(scenario.contains("Bearer {{token}}"), "{scenario}");

    // Three VUs twice each: six payments, each read back and refunded by its captured id.
    let bounded = scenario.replace("vus = 1\niterations = 1", "vus = 3\niterations = 2");
    assert_ne!(bounded, scenario);
    let dir = scratch("har-import");
    let f = write(&dir, "journey.toml", &bounded);
    let f = f.to_str().unwrap();
    // Without the password the file names what is missing.
    let o = run(&["validate", f]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("PASSWORD"), "{}", text(&o));
    let password = [("PASSWORD", "demo")];
    let o = run_env(&["validate", f], &password);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let target = Target::start(&["--auth", "required"]);
    let out = dir.join("out");
    let o = run_env(
        &[
            "run",
            f,
            "--target",
            &target.url,
            "--out",
            out.to_str().unwrap(),
        ],
        &password,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let c = target.counters();
    for route in ["login", "create_payment", "get_payment", "refund"] {
        assert_eq!(c["by_route"][route], 6, "{route}: {c}");
    }
    // Every request carried a token the target issued, and every id was one it created.
    assert_eq!(c["by_status"]["401"], serde_json::Value::Null, "{c}");
    assert_eq!(c["by_status"]["404"], serde_json::Value::Null, "{c}");
    let s = summary(&out);
    let steps = s["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 4, "{s}");
    for st in steps {
        assert_eq!(
            (&st["count"], &st["errors"]),
            (&6.into(), &0.into()),
            "{st}"
        );
    }
}
