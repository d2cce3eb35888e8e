#!/usr/bin/env python3
"""Decode a loadgen latency.hlog with the Python HdrHistogram library (pip: hdrhistogram) and
print, for one tag, the merged count and p50/p99 in milliseconds as JSON — a cross-language
check that the interval log is standard. A line it cannot decode, or no interval with the tag,
exits non-zero.

    python3 scripts/hlog_check.py results/RUN/latency.hlog latency.checkout.create-payment
"""
import json
import sys

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader


def main(path, tag):
    reference = HdrHistogram(1, 3_600_000_000, 3)
    merged = HdrHistogram(1, 3_600_000_000, 3)
    reader = HistogramLogReader(path, reference)
    intervals = 0
    while True:
        h = reader.get_next_interval_histogram()
        if h is None:
            break
        if h.get_tag() == tag:
            merged.add(h)
            intervals += 1
    if intervals == 0:
        # A file without the tag (or not an interval log at all) is a failed check, not zeros.
        sys.exit(f"hlog_check: no interval tagged {tag} in {path}")
    print(json.dumps({
        "intervals": intervals,
        "count": merged.get_total_count(),
        "p50_ms": merged.get_value_at_percentile(50.0) / 1000.0,
        "p99_ms": merged.get_value_at_percentile(99.0) / 1000.0,
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
