//! The per-request work of a load generator, one function at a time.

// A test or bench tool may unwrap: a panic here is the failure report.
#![allow(clippy::unwrap_used)]

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use loadgen_engine::{
    new_histogram, ArrivalSchedule, ConstantRate, Metrics, Outcome, Segment, Spacing,
};
use loadgen_http::{RunNonce, Template, Vars};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

/// One second of arrivals at 50,000/s: the open model's schedule.
fn schedule(c: &mut Criterion) {
    let mut g = c.benchmark_group("schedule");
    g.throughput(Throughput::Elements(50_000));
    for (name, spacing) in [("uniform", Spacing::Uniform), ("poisson", Spacing::Poisson)] {
        g.bench_function(format!("50k_arrivals_{name}"), |b| {
            b.iter(|| {
                let s = ArrivalSchedule::new(
                    Arc::new(ConstantRate(50_000.0)),
                    Duration::from_secs(1),
                    spacing,
                    7,
                    Segment::WHOLE,
                );
                black_box(s.count())
            })
        });
    }
    g.finish();
}

/// Recording one latency, and merging one thread's interval into the aggregate.
fn histograms(c: &mut Criterion) {
    let mut g = c.benchmark_group("histogram");
    g.bench_function("record_one_request", |b| {
        let mut m = Metrics::new(1, 1);
        let mut i = 0u64;
        b.iter(|| {
            i = (i + 7919) % 200_000;
            let d = Duration::from_micros(100 + i);
            m.steps[0].record(Outcome::Success, d, d, Some(d), None);
        })
    });
    g.bench_function("merge_interval_10_steps", |b| {
        let mut part = Metrics::new(10, 1);
        for (k, s) in part.steps.iter_mut().enumerate() {
            for i in 0..2_000u64 {
                let d = Duration::from_micros(50 + i * (k as u64 + 1));
                s.record(Outcome::Success, d, d, Some(d), None);
            }
        }
        b.iter_batched_ref(
            || Metrics::new(10, 1),
            |total| total.add(&part, loadgen_engine::GaugeMerge::Sum),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("empty_histogram", |b| b.iter(|| black_box(new_histogram())));
    g.finish();
}

/// Rendering a templated request (the hyper path's per-request work before the send).
fn request(c: &mut Criterion) {
    let path = Template::parse("/api/payments/{{vu}}/{{iteration}}?seq={{seq}}").unwrap();
    let header = Template::parse("{{uuid}}").unwrap();
    let body = Template::parse(
        r#"{"amount": {{random_int(100, 100000)}}, "currency": "AUD", "reference": "{{uuid}}", "at": {{timestamp_ms}}}"#,
    )
    .unwrap();
    let mut rng = SmallRng::seed_from_u64(1);
    let mut buf = BytesMut::with_capacity(4096);
    let nonce = RunNonce::fresh();
    let mut n = 0u64;
    c.bench_function("request/render_path_header_json_body", |b| {
        b.iter(|| {
            n += 1;
            let mut vars = Vars::new(nonce, 3, n, n, "pay", &mut rng);
            black_box(path.render(&mut vars, &mut buf));
            black_box(header.render(&mut vars, &mut buf));
            black_box(body.render(&mut vars, &mut buf));
            if buf.capacity() < 1024 {
                buf.reserve(4096);
            }
        })
    });
}

/// One payment body from the scenario's payload generator (amount, currency mix, failures).
fn payload(c: &mut Criterion) {
    let table: toml::Table = toml::from_str(
        r#"
amount = { lognormal = { median = 45.0, sigma = 0.8 } }
large = { share = "2%", min = 10000, max = 50000 }
currency = { AUD = 60, USD = 30, EUR = 10 }
fail = { share = "7%", declined = 4, insufficient_funds = 2, unsupported_currency = 1 }
"#,
    )
    .unwrap();
    let generator = loadgen_scenario::payload::parse("payment", &table).unwrap();
    let mut rng = SmallRng::seed_from_u64(2);
    let mut out = String::with_capacity(512);
    c.bench_function("payload/payment_body", |b| {
        b.iter(|| {
            out.clear();
            black_box(generator.generate(&mut rng, "req-000042", &mut out));
        })
    });
}

criterion_group!(benches, schedule, histograms, request, payload);
criterion_main!(benches);
