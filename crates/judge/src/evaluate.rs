//! Judging thresholds on measured metrics: the grammar (`loadgen_scenario::Threshold`) says
//! what to measure; this module measures it on merged histograms and counters.
//!
//! A release gate must not pass on no evidence: a threshold over zero samples **fails** ("no
//! data"), unlike k6 — a time statistic over no sample, an `errors` or `checks` share over no
//! request, a `dropped` figure over no arrival. Throughput (`requests`, `iterations`) over a
//! run that sent nothing is a measured 0/s.
//!
//! Iterations cut off at the end of the graceful stop (*interrupted*: the target never
//! answered) count as failed requests in every `errors` threshold that selects their workload,
//! in the numerator and the denominator: a stalled target fails `errors rate < 1%` instead of
//! passing it on the few requests that did complete.

use crate::sample::{extract, measure, time_stat};
use crate::window::WorstWindow;
use loadgen_engine::{CustomInfo, CustomKind, CustomValue, GaugeMerge, Metrics, StepInfo};
use loadgen_scenario::{key_metric_name, MetricKind, Stat, Threshold};
use std::fmt;
use std::time::Duration;

/// The outcome of judging one threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdResult {
    /// Key as written.
    pub key: String,
    /// Expression as written.
    pub expression: String,
    /// Passed?
    pub passed: bool,
    /// Measured value in the limit's unit; `None` when there was no data.
    pub measured: Option<f64>,
    /// The limit.
    pub limit: f64,
    /// Unit of `measured` and `limit`: `ms`, `ratio`, `/s` or `count`.
    pub unit: &'static str,
    /// Interrupted iterations counted in `measured` as failed requests (`errors` only).
    pub interrupted: u64,
    /// A windowed threshold's worst window (`measured` is its value); `None` for a
    /// whole-run threshold or when no window had data.
    pub window: Option<WorstWindow>,
    /// Intervals before this instant (s) were not judged.
    pub from_s: f64,
}

impl ThresholdResult {
    /// The measured value for people (`31.2ms`, `0.35%`, `120.4/s`, `3`), with the
    /// interrupted requests it counts (`100.000% (5 interrupted)`).
    /// A windowed threshold names its worst window (`20.000% in 4s–6s`).
    pub fn measured_display(&self) -> String {
        let shown = match self.measured {
            None => "no data".into(),
            Some(v) if self.interrupted > 0 => {
                format!(
                    "{} ({} interrupted)",
                    display(v, self.unit),
                    self.interrupted
                )
            }
            Some(v) => display(v, self.unit),
        };
        match &self.window {
            Some(w) => format!("{shown} {}", w.describe()),
            None => shown,
        }
    }

    /// The limit for people.
    pub fn limit_display(&self) -> String {
        display(self.limit, self.unit)
    }
}

fn display(v: f64, unit: &str) -> String {
    match unit {
        "ms" => format!("{v:.2}ms"),
        "ratio" => format!("{:.3}%", v * 100.0),
        "/s" => format!("{v:.1}/s"),
        _ => format!("{v}"),
    }
}

impl fmt::Display for ThresholdResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} (measured {})",
            self.key,
            self.expression,
            self.measured_display()
        )
    }
}

/// Judges the threshold on `totals` over a run of length `elapsed`; `custom` names the
/// plan's custom metrics (in `totals.custom` order). The whole run: a threshold with a
/// window or a `from` is judged on the interval stream instead (`judge.rs`).
pub fn evaluate(
    t: &Threshold,
    totals: &Metrics,
    steps: &[StepInfo],
    custom: &[CustomInfo],
    elapsed: Duration,
) -> ThresholdResult {
    if let MetricKind::Custom(kind) = t.metric {
        return result(t, evaluate_custom(t, kind, totals, custom, elapsed));
    }
    let s = extract(t, totals, steps);
    ThresholdResult {
        interrupted: s.interrupted,
        ..result(t, measure(t, &s, elapsed.as_secs_f64()))
    }
}

pub fn result(t: &Threshold, (measured, unit): (Option<f64>, &'static str)) -> ThresholdResult {
    let passed = measured.is_some_and(|m| t.op.holds(m, t.limit));
    ThresholdResult {
        key: t.key.clone(),
        expression: t.expression.clone(),
        passed,
        measured,
        limit: t.limit,
        unit,
        interrupted: 0,
        window: None,
        from_s: t.from.as_secs_f64(),
    }
}

/// Merges every selected workload's value of the custom metric and measures it.
fn evaluate_custom(
    t: &Threshold,
    kind: CustomKind,
    totals: &Metrics,
    custom: &[CustomInfo],
    elapsed: Duration,
) -> (Option<f64>, &'static str) {
    let name = key_metric_name(&t.key);
    let mut merged = CustomValue::empty(kind);
    let mut found = false;
    for (value, info) in totals.custom.iter().zip(custom) {
        let wanted = info.metric.name == name
            && info.metric.kind == kind
            && t.filter
                .workload
                .as_ref()
                .is_none_or(|w| *w == info.workload_name);
        if wanted {
            merged.add(value, GaugeMerge::Sum);
            found = true;
        }
    }
    if !found {
        return (None, "count");
    }
    let secs = elapsed.as_secs_f64().max(1e-9);
    match (merged, t.stat) {
        (CustomValue::Trend(h), Stat::Count) => (Some(h.len() as f64), "count"),
        (CustomValue::Trend(h), stat) => (time_stat(&h, stat), "ms"),
        (CustomValue::Counter(n), Stat::Rate) => (Some(n as f64 / secs), "/s"),
        (CustomValue::Counter(n), _) => (Some(n as f64), "count"),
        (CustomValue::Rate { hits, total }, Stat::Rate) => {
            ((total > 0).then(|| hits as f64 / total as f64), "ratio")
        }
        (CustomValue::Rate { hits, .. }, _) => (Some(hits as f64), "count"),
        (CustomValue::Gauge { peak, .. }, Stat::Max) => (Some(peak as f64), "count"),
        (CustomValue::Gauge { value, .. }, _) => (Some(value as f64), "count"),
    }
}

/// Judges every threshold.
pub fn evaluate_all(
    thresholds: &[Threshold],
    totals: &Metrics,
    steps: &[StepInfo],
    custom: &[CustomInfo],
    elapsed: Duration,
) -> Vec<ThresholdResult> {
    thresholds
        .iter()
        .map(|t| evaluate(t, totals, steps, custom, elapsed))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use loadgen_engine::{Outcome, StepMetrics};
    use loadgen_scenario::{parse_expression, parse_key};

    /// Method syntax for the tests' sake.
    trait Judge {
        fn evaluate(
            &self,
            totals: &Metrics,
            steps: &[StepInfo],
            custom: &[CustomInfo],
            elapsed: Duration,
        ) -> ThresholdResult;
    }

    impl Judge for Threshold {
        fn evaluate(
            &self,
            totals: &Metrics,
            steps: &[StepInfo],
            custom: &[CustomInfo],
            elapsed: Duration,
        ) -> ThresholdResult {
            super::evaluate(self, totals, steps, custom, elapsed)
        }
    }

    fn t(key: &str, expr: &str) -> Threshold {
        Threshold::parse(key, expr, &|_| None).unwrap()
    }

    fn info(name: &str) -> StepInfo {
        StepInfo {
            workload: 0,
            workload_name: "w".into(),
            name: name.into(),
        }
    }

    fn metrics() -> Metrics {
        let mut m = Metrics::new(2, 1);
        let ms = Duration::from_millis;
        for i in 1..=100 {
            m.steps[0].record(Outcome::Success, ms(i), ms(i), None, None);
        }
        m.steps[1].record(Outcome::Http5xx, ms(5), ms(5), None, None);
        for _ in 0..9 {
            m.steps[1].record(Outcome::ExpectedFailure, ms(5), ms(5), None, None);
        }
        m.workloads[0].iterations = 100;
        m
    }

    #[test]
    fn latency_percentiles_and_filters() {
        let m = metrics();
        let steps = [info("a"), info("b")];
        let r = t("latency{step=a}", "p(95) < 100ms").evaluate(
            &m,
            &steps,
            &[],
            Duration::from_secs(10),
        );
        assert!(r.passed, "{r:?}");
        assert!((r.measured.unwrap() - 95.0).abs() < 0.5);
        let r =
            t("latency{step=a}", "p(95) < 90ms").evaluate(&m, &steps, &[], Duration::from_secs(10));
        assert!(!r.passed);
        let r =
            t("latency{step=a}", "max <= 101ms").evaluate(&m, &steps, &[], Duration::from_secs(10));
        assert!(r.passed, "{r:?}");
    }

    #[test]
    fn latency_by_status_reads_the_kept_status_only() {
        let mut m = metrics();
        let ms = Duration::from_millis;
        // Step a keeps 200 and 503: 100 answers of 1..=100 ms were 200, 10 of 500 ms 503.
        m.steps[0].track_status_latency(200);
        m.steps[0].track_status_latency(503);
        for i in 1..=100 {
            m.steps[0].record_status_latency(200, ms(i));
        }
        for _ in 0..10 {
            m.steps[0].record_status_latency(503, ms(500));
        }
        // A status nobody tracked is not kept.
        m.steps[0].record_status_latency(404, ms(9));
        assert_eq!(m.steps[0].status_latency.len(), 2);
        let steps = [info("a"), info("b")];
        let ten = Duration::from_secs(10);
        let r = t("latency{status=200}", "p(95) < 100ms").evaluate(&m, &steps, &[], ten);
        assert!(
            r.passed && (r.measured.unwrap() - 95.0).abs() < 0.5,
            "{r:?}"
        );
        let r = t("latency{status=503,step=a}", "min >= 499ms").evaluate(&m, &steps, &[], ten);
        assert!(r.passed, "{r:?}");
        // Step b kept none: no data, and no data fails.
        let r = t("latency{status=200,step=b}", "p(95) < 1s").evaluate(&m, &steps, &[], ten);
        assert!(!r.passed && r.measured.is_none(), "{r:?}");
        let r = t("latency{status=404}", "p(95) < 1s").evaluate(&m, &steps, &[], ten);
        assert!(r.measured.is_none(), "{r:?}");
        // Merged totals keep each status's histogram apart, exactly.
        let mut both = m.clone();
        both.add(&m, GaugeMerge::Sum);
        let r = t("latency{status=503}", "max < 1s").evaluate(&both, &steps, &[], ten);
        assert!(r.passed);
        assert_eq!(both.steps[0].status_latency[1].1.len(), 20);
    }

    #[test]
    fn error_rate_excludes_expected_failures_and_checks_count_answers() {
        let m = metrics();
        let steps = [info("a"), info("b")];
        let r = t("errors", "rate < 1%").evaluate(&m, &steps, &[], Duration::from_secs(10));
        assert!((r.measured.unwrap() - 1.0 / 110.0).abs() < 1e-12);
        assert!(r.passed);
        let r = t("errors{step=b}", "rate < 1%").evaluate(&m, &steps, &[], Duration::from_secs(10));
        assert!(!r.passed);
        let r = t("checks", "rate > 99%").evaluate(&m, &steps, &[], Duration::from_secs(10));
        assert!((r.measured.unwrap() - 109.0 / 110.0).abs() < 1e-12);
        let r = t("requests", "rate > 10/s").evaluate(&m, &steps, &[], Duration::from_secs(10));
        assert!(r.passed && r.measured == Some(11.0));
    }

    #[test]
    fn no_data_fails_a_time_threshold() {
        let m = Metrics::new(1, 1);
        let r = t("latency", "p(95) < 1s").evaluate(&m, &[info("a")], &[], Duration::from_secs(1));
        assert!(!r.passed);
        assert_eq!(r.measured_display(), "no data");
        let _ = StepMetrics::default();
    }

    #[test]
    fn a_share_over_zero_samples_fails_with_no_data() {
        let m = Metrics::new(1, 1);
        let secs = Duration::from_secs(1);
        for (key, expr) in [
            ("errors", "rate < 1%"),
            ("errors", "count < 1"),
            ("latency", "error_rate < 1%"),
            ("checks", "rate > 99%"),
            ("dropped", "rate < 1%"),
            ("dropped", "count < 1"),
        ] {
            let r = t(key, expr).evaluate(&m, &[info("a")], &[], secs);
            assert!(!r.passed, "{key}: {expr} passed on nothing: {r:?}");
            assert_eq!(r.measured_display(), "no data", "{key}: {expr}");
        }
        // A throughput over a run that sent nothing is a measured 0/s, not missing data.
        let r = t("requests", "rate < 10/s").evaluate(&m, &[info("a")], &[], secs);
        assert_eq!(r.measured, Some(0.0));
    }

    #[test]
    fn interrupted_iterations_count_as_errors_of_their_workload() {
        let steps = [info("a")];
        let secs = Duration::from_secs(3);
        // Nothing completed, three requests cut off: 3 errors of 3.
        let mut m = Metrics::new(1, 1);
        m.workloads[0].interrupted = 3;
        let r = t("errors", "rate < 1%").evaluate(&m, &steps, &[], secs);
        assert!(!r.passed, "{r:?}");
        assert_eq!(r.measured, Some(1.0));
        assert_eq!(r.interrupted, 3);
        assert!(r.measured_display().contains("3 interrupted"), "{r}");
        let r = t("errors{step=a}", "count < 1").evaluate(&m, &steps, &[], secs);
        assert_eq!((r.passed, r.measured), (false, Some(3.0)));
        // 97 answers and 3 cut off: 3% errors, in both numerator and denominator.
        let mut m = metrics();
        m.workloads[0].interrupted = 2;
        let r = t("errors", "rate < 5%").evaluate(&m, &[info("a"), info("b")], &[], secs);
        assert!((r.measured.unwrap() - 3.0 / 112.0).abs() < 1e-12, "{r:?}");
        // A workload the filter does not select keeps its interruptions to itself.
        let other = StepInfo {
            workload: 1,
            workload_name: "v".into(),
            name: "c".into(),
        };
        let mut m = Metrics::new(2, 2);
        m.steps[0].record(
            Outcome::Success,
            Duration::from_millis(1),
            Duration::from_millis(1),
            None,
            None,
        );
        m.workloads[1].interrupted = 5;
        let r = t("errors{workload=w}", "rate < 1%").evaluate(&m, &[info("a"), other], &[], secs);
        assert_eq!((r.passed, r.measured, r.interrupted), (true, Some(0.0), 0));
        // Interruptions are no answer: the checks share ignores them.
        let r = t("checks", "rate > 99%").evaluate(&m, &[info("a"), info("b")], &[], secs);
        assert_eq!(r.measured, Some(1.0));
    }

    #[test]
    fn custom_metrics_are_judged_by_kind_and_workload() {
        use loadgen_engine::CustomMetric;
        let kinds = |name: &str| match name {
            "lat" => Some(CustomKind::Trend),
            "msgs" => Some(CustomKind::Counter),
            "ok" => Some(CustomKind::Rate),
            "open" => Some(CustomKind::Gauge),
            _ => None,
        };
        let ct = |key: &str, expr: &str| Threshold::parse(key, expr, &kinds).unwrap();
        let info = |w: usize, name: &str, kind| CustomInfo {
            workload: w,
            workload_name: format!("w{w}"),
            metric: CustomMetric::new(name, kind),
        };
        let custom = [
            info(0, "lat", CustomKind::Trend),
            info(0, "msgs", CustomKind::Counter),
            info(0, "ok", CustomKind::Rate),
            info(0, "open", CustomKind::Gauge),
            info(1, "msgs", CustomKind::Counter),
        ];
        let mut m = Metrics::shaped(
            0,
            2,
            &custom.iter().map(|c| c.metric.kind).collect::<Vec<_>>(),
        );
        if let CustomValue::Trend(h) = &mut m.custom[0] {
            for ms in 1..=100u64 {
                h.record(ms * 1000).unwrap();
            }
        }
        m.custom[1] = CustomValue::Counter(300);
        m.custom[2] = CustomValue::Rate {
            hits: 95,
            total: 100,
        };
        m.custom[3] = CustomValue::Gauge { value: 7, peak: 50 };
        m.custom[4] = CustomValue::Counter(100);
        let secs = Duration::from_secs(10);
        let eval = |k: &str, e: &str| ct(k, e).evaluate(&m, &[], &custom, secs);
        let r = eval("lat", "p(50) < 51ms");
        assert!(r.passed && r.unit == "ms", "{r:?}");
        assert!(!eval("lat", "p(99) < 50ms").passed);
        assert_eq!(eval("lat", "count == 100").measured, Some(100.0));
        // Both workloads' counters add up unless a filter picks one.
        assert_eq!(eval("msgs", "count > 1").measured, Some(400.0));
        assert_eq!(eval("msgs{workload=w1}", "count > 1").measured, Some(100.0));
        assert_eq!(eval("msgs", "rate > 39/s").measured, Some(40.0));
        assert!(eval("ok", "rate >= 95%").passed);
        assert!(!eval("ok", "rate > 95%").passed);
        assert!(eval("open", "max >= 50").passed);
        assert_eq!(eval("open", "value < 10").measured, Some(7.0));
        // Statistics that do not fit the kind are refused when parsed.
        let (lat, _) = parse_key("lat", &kinds).unwrap();
        assert!(parse_expression(lat, "rate > 1%").is_err());
        let (ok, _) = parse_key("ok", &kinds).unwrap();
        assert!(parse_expression(ok, "p(95) < 1s").is_err());
        assert!(parse_expression(ok, "error_rate < 1%").is_err());
        assert!(parse_key("nope", &kinds).is_err());
    }
}
