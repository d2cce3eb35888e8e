#!/usr/bin/env bash
# Soak: loadgen against a target that misbehaves in every way at once, for a long time,
# watching the generator's memory and open files. Not part of CI.
#
#   scripts/soak.sh                 # 30 minutes at 1000 arrivals/s
#   DURATION=10m RATE=2000 scripts/soak.sh
#
# The demo target (`loadgen target`, its own process) answers /api/ requests with a mix of
# faults: 503 and 429 storms, resets before and inside the answer, garbage, wrong lengths,
# stalls, byte-by-byte answers, the odd 64 MiB body, and refused / TLS-broken connections.
# loadgen runs an open-model scenario with a 1 s timeout; every SAMPLE seconds the script
# reads loadgen's VmRSS and open file descriptors from /proc, and the VU pool's size from its
# --json-progress lines. The table goes to stdout and to results/soak-<date>.md. Pass: the run
# ends on time with exit 0, fds stay flat, and RSS grows only with the VU pool (each VU keeps
# its connection and buffers; the pool grows to the highest concurrency seen, never past
# max_vus) — not with the number of requests.
#
# Environment: DURATION (30m), RATE (1000), SAMPLE (30), PORT (18090),
# CARGO_TARGET_DIR (<repo>/target).
set -euo pipefail

DURATION=${DURATION:-30m}
RATE=${RATE:-1000}
SAMPLE=${SAMPLE:-30}
PORT=${PORT:-18090}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d /tmp/soak.XXXXXX)

cargo build --release -q -p loadgen --manifest-path "$ROOT/Cargo.toml"
BIN=$CARGO_TARGET_DIR/release/loadgen

FAULTS=(--fault 503=10% --fault 429=5% --fault reset=3% --fault reset-body=3%
        --fault garbage=2% --fault wrong-length=2% --fault stall=1% --fault slow=1%
        --fault huge-body=0.02% --fault refuse=1%)
"$BIN" target --listen "127.0.0.1:$PORT" --threads 1 "${FAULTS[@]}" >"$WORK/target.log" 2>&1 &
TARGET_PID=$!
LOADGEN_PID=""
cleanup() {
    [ -n "$LOADGEN_PID" ] && kill "$LOADGEN_PID" 2>/dev/null || true
    kill "$TARGET_PID" 2>/dev/null || true
}
trap cleanup EXIT
sleep 0.5

cat >"$WORK/soak.toml" <<TOML
name = "soak"
target = "http://127.0.0.1:$PORT"
duration = "$DURATION"
graceful_stop = "5s"

[http]
timeout = "1s"
connect_timeout = "1s"

[[workload]]
name = "mixed-faults"
model = "open"
arrivals = "poisson"
rate = "$RATE/s"
max_vus = 2000

  [[workload.step]]
  name = "pay"
  http = { method = "POST", path = "/api/payments", json = { amount = 100, currency = "AUD" } }
TOML

START=$(date +%s)
"$BIN" run "$WORK/soak.toml" --out "$WORK/out" --json-progress >"$WORK/run.log" 2>&1 &
LOADGEN_PID=$!

echo "| t (s) | loadgen RSS (MiB) | open fds | VUs allocated | target RSS (MiB) |" >"$WORK/samples.md"
echo "|---:|---:|---:|---:|---:|" >>"$WORK/samples.md"
rss() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status" 2>/dev/null; }
while kill -0 "$LOADGEN_PID" 2>/dev/null; do
    sleep "$SAMPLE"
    kill -0 "$LOADGEN_PID" 2>/dev/null || break
    t=$(( $(date +%s) - START ))
    fds=$(ls "/proc/$LOADGEN_PID/fd" 2>/dev/null | wc -l)
    vus=$(grep -o '"allocated_vus":[0-9]*' "$WORK/run.log" | tail -1 | cut -d: -f2)
    echo "| $t | $(rss "$LOADGEN_PID") | $fds | ${vus:--} | $(rss "$TARGET_PID") |" >>"$WORK/samples.md"
    tail -1 "$WORK/samples.md"
done
set +e
wait "$LOADGEN_PID"
RC=$?
set -e
LOADGEN_PID=""
ELAPSED=$(( $(date +%s) - START ))

DATE=$(date -u +%Y-%m-%d)
REPORT="$ROOT/results/soak-$DATE.md"
{
    echo "# Soak $DATE: $DURATION at $RATE/s against mixed faults"
    echo
    echo "Machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); target faults: ${FAULTS[*]}"
    echo
    echo "loadgen exit code $RC after $ELAPSED s (planned $DURATION + graceful stop)."
    echo
    cat "$WORK/samples.md"
    echo
    echo '```'
    python3 - "$WORK/out/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
st = s["steps"][0]
print("requests", st["count"], "rate/s", round(st["rate"], 1))
print("outcomes", json.dumps(st["outcomes"], sort_keys=True))
print("statuses", json.dumps(st["statuses"], sort_keys=True))
g = s["generator"]
print("generator peak RSS MiB", g["peak_rss_mib"], "worker CPU s", g["worker_cpu_seconds"],
      "saturated", g["saturated"], g["reasons"])
PY
    echo '```'
} | tee "$REPORT"
echo "report: $REPORT (raw: $WORK)"
exit "$RC"
