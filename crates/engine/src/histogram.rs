//! The one histogram configuration used everywhere, so every histogram merges with every other.

/// Latency histogram: values in microseconds, 3 significant digits, growing as needed.
pub type Histogram = hdrhistogram::Histogram<u64>;

/// A fresh, empty histogram (microseconds, 3 significant digits, auto-resizing).
///
/// Auto-resize keeps an idle or fast step small (a few KiB) and still records a 10-minute
/// stall exactly; all histograms share this configuration so `add` never fails.
pub fn new_histogram() -> Histogram {
    let mut h = Histogram::new_with_bounds(1, 2, 3).expect("static histogram bounds are valid");
    h.auto(true);
    h
}

/// Records `micros` (clamped to at least 1 µs so a zero never falls below the lowest bucket).
#[inline]
pub(crate) fn record_micros(h: &mut Histogram, micros: u64) {
    // `record` grows an auto-resizing histogram; `saturating_record` alone would clamp to
    // the current (small) ceiling instead of growing.
    let v = micros.max(1);
    if h.record(v).is_err() {
        h.saturating_record(v);
    }
}
