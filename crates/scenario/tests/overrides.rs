//! Command-line overrides.

use crate::common::load;
use loadgen_scenario::{ModelSpec, OverrideError, RateSpec, Target};
use std::time::Duration;

#[test]
fn duration_override_scales_the_timeline() {
    let s = load("good/full.toml", &[]).unwrap();
    assert_eq!(s.duration, Duration::from_secs(105));
    let s = s
        .with_overrides(
            Some(Duration::from_secs(21)),
            Some(7),
            Some("http://localhost:8080".into()),
        )
        .unwrap();
    assert_eq!(s.duration, Duration::from_secs(21));
    assert_eq!(s.seed, 7);
    assert_eq!(s.target, Target::Url("http://localhost:8080".into()));
    let w = &s.workloads[0];
    assert_eq!(w.start, Duration::from_secs(1));
    match &w.model {
        ModelSpec::Open {
            rate: RateSpec::Stages { stages, .. },
            duration,
            ..
        } => {
            assert_eq!(stages[0], (Duration::from_secs(6), 100.0));
            assert_eq!(*duration, Duration::from_secs(20));
        }
        m => panic!("{m:?}"),
    }
    assert_eq!(s.workloads[1].model.duration(), Duration::from_secs(12));
}

#[test]
fn bad_overrides_are_refused() {
    let s = load("good/full.toml", &[]).unwrap();
    assert_eq!(
        s.clone()
            .with_overrides(Some(Duration::ZERO), None, None)
            .unwrap_err(),
        OverrideError::ZeroDuration
    );
    assert_eq!(
        s.with_overrides(None, None, Some("localhost".into()))
            .unwrap_err()
            .to_string(),
        "target must be \"embedded\" or an http:// or https:// URL, not \"localhost\""
    );
}
