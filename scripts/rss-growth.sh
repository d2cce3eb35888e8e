#!/usr/bin/env bash
# RSS growth of one `loadgen run`, to tell growth per interval from growth per request and
# from allocator noise. Not part of CI; a few minutes per run.
#
#   scripts/rss-growth.sh                                   # 180 s, 300/s, 100 ms intervals
#   DURATION=60s RATE=300 INTERVAL=100ms scripts/rss-growth.sh
#   DURATION=180s RATE=30 INTERVAL=100ms scripts/rss-growth.sh   # same intervals, 1/10 requests
#   DURATION=180s RATE=300 INTERVAL=1s scripts/rss-growth.sh      # same requests, 1/10 intervals
#
# Starts the embedded demo target (`loadgen target`, its own process), runs an ad-hoc open
# model against its /health with `--interval`, reads loadgen's VmRSS from /proc every SAMPLE
# seconds and fits a line (least squares) to the samples after the first WARMUP seconds. It
# prints the slope in KiB per hour of run time, per 1,000 intervals and per million requests,
# and the samples to results/rss-growth-<rate>-<interval>-<duration>.csv. Compare runs that
# change one of rate and interval: growth that follows the interval count is per-interval
# state; growth that follows the request count is per-request; neither is fragmentation or
# noise (the fit's residual says how much).
#
# Environment: BIN (target/release/loadgen), DURATION (180s), RATE (300), INTERVAL (100ms),
# SAMPLE (1), WARMUP (30), PORT (18190).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/target/release/loadgen}
DURATION=${DURATION:-180s}
RATE=${RATE:-300}
INTERVAL=${INTERVAL:-100ms}
SAMPLE=${SAMPLE:-1}
WARMUP=${WARMUP:-30}
PORT=${PORT:-18190}
OUT=$(mktemp -d)
CSV=$ROOT/results/rss-growth-$RATE-$INTERVAL-$DURATION.csv
mkdir -p "$ROOT/results"

"$BIN" target --listen "127.0.0.1:$PORT" >"$OUT/target.log" 2>&1 &
TARGET=$!
trap 'kill $TARGET 2>/dev/null || true; rm -rf "$OUT"' EXIT
for _ in $(seq 50); do
    grep -q "listening" "$OUT/target.log" 2>/dev/null && break
    sleep 0.1
done

"$BIN" run --url "http://127.0.0.1:$PORT/health" --rate "$RATE/s" --vus 50 \
    --duration "$DURATION" --interval "$INTERVAL" --quiet --no-default-thresholds \
    --out "$OUT/run" >"$OUT/run.log" 2>&1 &
RUN=$!
START=$(date +%s.%N)
echo "t_s,rss_kib" >"$CSV"
while kill -0 "$RUN" 2>/dev/null; do
    RSS=$(awk '/^VmRSS/ {print $2}' "/proc/$RUN/status" 2>/dev/null || true)
    NOW=$(date +%s.%N)
    [ -n "$RSS" ] && echo "$(echo "$NOW - $START" | bc),$RSS" >>"$CSV"
    sleep "$SAMPLE"
done
wait "$RUN" || { echo "loadgen run failed:"; cat "$OUT/run.log"; exit 1; }
REQUESTS=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['totals']['requests'])" "$OUT/run/summary.json")
INTERVALS=$(wc -l <"$OUT/run/metrics.jsonl")

python3 - "$CSV" "$WARMUP" "$REQUESTS" "$INTERVALS" <<'EOF'
import csv, sys
path, warmup, requests, intervals = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = [(float(r["t_s"]), float(r["rss_kib"])) for r in csv.DictReader(open(path))]
pts = [(t, r) for t, r in rows if t >= warmup]
n = len(pts)
if n < 3:
    sys.exit(f"too few samples after the warm-up: {n}")
mt = sum(t for t, _ in pts) / n
mr = sum(r for _, r in pts) / n
slope = sum((t - mt) * (r - mr) for t, r in pts) / sum((t - mt) ** 2 for t, _ in pts)
resid = (sum((r - (mr + slope * (t - mt))) ** 2 for t, r in pts) / n) ** 0.5
span = pts[-1][0] - pts[0][0]
run_s = rows[-1][0]
per_interval = slope * run_s / max(intervals, 1)
per_request = slope * run_s / max(requests, 1)
print(f"samples {len(rows)} ({n} after {warmup:.0f}s warm-up), RSS {rows[0][1]:.0f} -> {rows[-1][1]:.0f} KiB (peak {max(r for _, r in rows):.0f})")
print(f"requests {requests}, intervals {intervals}, run {run_s:.0f}s")
print(f"slope {slope * 3600 / 1024:.2f} MiB/hour of run time; {per_interval * 1000:.1f} KiB per 1,000 intervals; {per_request * 1e6 / 1024:.2f} MiB per million requests (fit residual {resid:.0f} KiB)")
EOF
echo "samples: $CSV"
