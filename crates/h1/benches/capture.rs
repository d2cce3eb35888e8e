//! What a journey's capture costs per answer on the fast path: the one-pass JSON scan of a
//! realistic answer (a created payment, ~600 bytes) for `$.id` and for a nested path, next
//! to building a `serde_json` document (what captures did before), and reading a header
//! (`Location`, `ETag`) while the head is parsed.

// A test or bench tool may unwrap: a panic here is the failure report.
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use loadgen_h1::head;
use loadgen_h1::json::{self, Found, Segment};
use std::hint::black_box;

/// A payment as an API answers its creation.
const PAYMENT: &[u8] = br#"{"id":"pay_3Xk9mQ2vB7","object":"payment","amount":2500,"amount_refunded":0,"currency":"aud","status":"succeeded","created":1764676800,"livemode":false,"description":"Order #10472 \u2014 2 items","customer":{"id":"cus_Q8a1","email":"shopper-17@example.com","name":"Shopper 17"},"data":{"items":[{"id":"item_a1","sku":"TSHIRT-M","qty":1,"price":1500},{"id":"item_b2","sku":"MUG","qty":2,"price":500}],"has_more":false},"metadata":{"order_id":"10472","channel":"web"},"refunds":[],"payment_method":{"type":"card","card":{"brand":"visa","last4":"4242","exp_month":12,"exp_year":2030}},"receipt_url":"https:\/\/pay.example.com\/receipts\/pay_3Xk9mQ2vB7"}"#;

/// The head of a `201 Created` answer.
const HEAD: &[u8] = b"HTTP/1.1 201 Created\r\nServer: nginx/1.24.0\r\nDate: Wed, 02 Dec 2026 12:00:00 GMT\r\nContent-Type: application/json\r\nContent-Length: 612\r\nConnection: keep-alive\r\nLocation: /api/payments/pay_3Xk9mQ2vB7\r\nETag: \"33a64df551425fcc55e4d42a148795d9f25f89d4\"\r\nCache-Control: no-store\r\nX-Request-Id: 6f1c2a9e-4b7d-4e55-9a1f-0c2d3e4f5a6b\r\n\r\n";

fn key(k: &str) -> Segment {
    Segment::Key(k.to_owned())
}

/// The value's text as a capture keeps it, into a reused buffer.
fn take(found: Option<Found<'_>>, out: &mut Vec<u8>) {
    out.clear();
    match found {
        Some(Found::Str {
            raw,
            escaped: false,
        }) => out.extend_from_slice(raw),
        Some(Found::Str { raw, escaped: true }) => json::unescape_into(raw, out),
        Some(Found::Number { raw, .. } | Found::Composite(raw)) => out.extend_from_slice(raw),
        _ => {}
    }
}

fn json_scan(c: &mut Criterion) {
    let mut g = c.benchmark_group("capture_json");
    g.throughput(Throughput::Bytes(PAYMENT.len() as u64));
    let paths = [
        ("id", vec![key("id")]),
        (
            "data_items_1_id",
            vec![key("data"), key("items"), Segment::Index(1), key("id")],
        ),
        ("receipt_url_escaped", vec![key("receipt_url")]),
    ];
    for (name, path) in &paths {
        let mut out = Vec::with_capacity(64);
        g.bench_function(format!("scan_{name}"), |b| {
            b.iter(|| {
                take(json::find(black_box(PAYMENT), path).unwrap(), &mut out);
                black_box(out.len())
            })
        });
    }
    // What a capture cost before the scan: a whole document, then the lookup.
    g.bench_function("serde_value_id", |b| {
        b.iter(|| {
            let v: serde_json::Value = serde_json::from_slice(black_box(PAYMENT)).unwrap();
            black_box(v.get("id").and_then(|v| v.as_str()).map(str::len))
        })
    });
    g.finish();
}

fn header_capture(c: &mut Criterion) {
    let mut g = c.benchmark_group("capture_header");
    g.bench_function("parse_head", |b| {
        b.iter(|| black_box(head::parse(black_box(HEAD), false).unwrap()))
    });
    let (mut location, mut etag) = (Vec::with_capacity(64), Vec::with_capacity(64));
    g.bench_function("parse_head_taking_location_and_etag", |b| {
        b.iter(|| {
            let (mut got_location, mut got_etag) = (false, false);
            let parsed = head::parse_with(black_box(HEAD), false, |name, value| {
                if !got_location && name.eq_ignore_ascii_case(b"location") {
                    location.clear();
                    location.extend_from_slice(value);
                    got_location = true;
                } else if !got_etag && name.eq_ignore_ascii_case(b"etag") {
                    etag.clear();
                    etag.extend_from_slice(value);
                    got_etag = true;
                }
            });
            black_box((parsed.unwrap(), location.len(), etag.len()))
        })
    });
    g.finish();
}

criterion_group!(benches, json_scan, header_capture);
criterion_main!(benches);
