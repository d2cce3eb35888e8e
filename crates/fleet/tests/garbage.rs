//! Whatever a peer sends, decoding answers with an error, never a panic: random frames, and
//! valid interval messages with random bytes flipped (inside the compressed histograms too).

use loadgen_engine::{IntervalReport, Metrics, Outcome};
use loadgen_fleet::frame::read_msg;
use loadgen_fleet::protocol::Msg;
use loadgen_fleet::IntervalLine;
use rand::{Rng, SeedableRng};
use std::time::Duration;

fn valid_interval() -> Vec<u8> {
    let mut m = Metrics::new(2, 1);
    for i in 0..300u64 {
        let d = Duration::from_micros(50 + i * 13);
        m.steps[(i % 2) as usize].record(Outcome::Success, d, d, Some(d), Some(d));
    }
    let line = IntervalLine::encode(&IntervalReport {
        index: 0,
        start: Duration::ZERO,
        length: Duration::from_secs(1),
        metrics: m,
    });
    serde_json::to_vec(&Msg::Interval(line)).unwrap()
}

#[tokio::test]
async fn random_and_mutated_frames_are_errors_not_panics() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(8);
    for _ in 0..500 {
        let n = rng.random_range(0..64);
        let bytes: Vec<u8> = (0..n).map(|_| rng.random()).collect();
        let _ = read_msg(&mut bytes.as_slice()).await;
    }
    let valid = valid_interval();
    let mut decoded_ok = 0;
    for _ in 0..3000 {
        let mut body = valid.clone();
        for _ in 0..rng.random_range(1..4) {
            let i = rng.random_range(0..body.len());
            body[i] = rng.random();
        }
        let mut frame = (body.len() as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(&body);
        if let Ok(Some((Msg::Interval(line), _))) = read_msg(&mut frame.as_slice()).await {
            if line.decode().is_ok() {
                decoded_ok += 1;
            }
        }
    }
    // Some flips land in harmless places (a digit of a count); most are caught.
    assert!(decoded_ok < 3000, "{decoded_ok}");
}

#[test]
fn a_histogram_of_another_configuration_decodes_into_ours() {
    // 5 significant digits up to 2^62: a peer's odd histogram still merges (re-added into
    // the common 3-digit, auto-resizing configuration) without a panic.
    let mut odd = hdrhistogram::Histogram::<u64>::new_with_bounds(1, u64::MAX / 2, 5).unwrap();
    odd.record(u64::MAX / 4).unwrap();
    odd.record(7).unwrap();
    let back = loadgen_fleet::decode_hist(&loadgen_fleet::encode_hist(&odd)).unwrap();
    assert_eq!(back.len(), 2);
    assert!(back.max() >= u64::MAX / 5);
}
