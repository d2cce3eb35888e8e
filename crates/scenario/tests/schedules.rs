//! Patterns through the engine's arrival schedule, without clocks: counts per window match
//! the pattern's integral; Poisson gaps are exponential.

use loadgen_engine::{ArrivalSchedule, Segment, Spacing};
use loadgen_scenario::pattern::{parse, Pattern};
use std::sync::Arc;
use std::time::Duration;

fn pattern(text: &str) -> Pattern {
    let v: toml::Table = toml::from_str(&format!("rate = {text}")).unwrap();
    parse(&v["rate"]).unwrap()
}

fn arrivals(p: &Pattern, secs: u64, spacing: Spacing, seed: u64) -> Vec<f64> {
    ArrivalSchedule::new(
        Arc::new(p.clone()),
        Duration::from_secs(secs),
        spacing,
        seed,
        Segment::WHOLE,
    )
    .map(|(_, t)| t.as_secs_f64())
    .collect()
}

fn integral(p: &Pattern, from: f64, to: f64) -> f64 {
    let n = ((to - from) / 0.001).round() as u64;
    (0..n)
        .map(|i| p.rate(from + (i as f64 + 0.5) * 0.001) * 0.001)
        .sum()
}

#[test]
fn arrivals_per_window_follow_the_pattern_integral() {
    let patterns = [
        r#"{ pattern = "burst", base = "50/s", peak = "300/s", every = "10s", rise = "1s", hold = "3s", fall = "1s" }"#,
        r#"{ pattern = "business-hours", peak = "200/s", timezone = "Australia/Sydney", start = "2026-11-23T06:00:00", time_scale = 2880 }"#,
        r#"{ pattern = "dca", batch = 120, every = "1h", spread = "10m", time_scale = 360 }"#,
        r#"{ pattern = "sine", base = "100/s", amplitude = "80/s", period = "15s", scale = 2.0 }"#,
    ];
    for text in patterns {
        let p = pattern(text);
        let a = arrivals(&p, 30, Spacing::Poisson, 11);
        for w in 0..6 {
            let (from, to) = (w as f64 * 5.0, (w + 1) as f64 * 5.0);
            let expected = integral(&p, from, to);
            let got = a.iter().filter(|t| **t >= from && **t < to).count() as f64;
            // Poisson counts: within 5 standard deviations (sqrt(mean)) plus one.
            let tol = 5.0 * expected.sqrt() + 1.0;
            assert!(
                (got - expected).abs() <= tol,
                "{text}: window {w}: got {got}, expected {expected:.1}"
            );
        }
        // Uniform spacing tracks the integral to within one arrival.
        let u = arrivals(&p, 30, Spacing::Uniform, 0);
        assert!(
            (u.len() as f64 - integral(&p, 0.0, 30.0)).abs() <= 1.5,
            "{text}: {}",
            u.len()
        );
    }
}

#[test]
fn a_compressed_business_day_has_the_expected_total() {
    // One simulated weekday (Monday, Sydney) in 60 real seconds: 8 h at 0.8, 16 h at 0.2 of 100/s.
    let p = pattern(
        r#"{ pattern = "business-hours", peak = "100/s", timezone = "Australia/Sydney", start = "2026-11-23T00:00:00", time_scale = 1440 }"#,
    );
    let n = arrivals(&p, 60, Spacing::Uniform, 0).len() as f64;
    let expected = (8.0 * 80.0 + 16.0 * 20.0) * 2.5;
    assert!((n - expected).abs() <= 1.5, "{n} vs {expected}");
}

#[test]
fn poisson_gaps_pass_a_kolmogorov_smirnov_test() {
    let rate = 500.0;
    let a = arrivals(&Pattern::Constant(rate), 20, Spacing::Poisson, 3);
    let mut gaps: Vec<f64> = a.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort_by(f64::total_cmp);
    let n = gaps.len() as f64;
    let d = gaps
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let cdf = 1.0 - (-rate * g).exp();
            (cdf - i as f64 / n)
                .abs()
                .max(((i + 1) as f64 / n - cdf).abs())
        })
        .fold(0.0, f64::max);
    // Critical value at alpha = 0.001: 1.95 / sqrt(n).
    assert!(d < 1.95 / n.sqrt(), "KS statistic {d} over {n} gaps");
}
