//! Criterion micro-benchmarks of loadgen's hot path (`cargo bench -p loadgen-benches`):
//! schedule generation, histogram recording and interval merge, request rendering, payload
//! generation and webhook signing. The end-to-end comparisons with peer tools live in
//! `scripts/bench-*.sh`. This crate has no code of its own; it must not be depended on.
