#!/usr/bin/env bash
# Which idle VU an open-model arrival takes, measured: `vu_order = "fifo"` (the VU idle
# longest, so traffic spreads over every connection) against `"lifo"` (the VU idle shortest,
# so a few connections stay hot), at a low rate against a server that answers after DELAY_MS
# in two writes with Nagle's algorithm on (scripts/lib/nagle_server.py, like Python's
# http.server). Hot connections there hit the 40 ms delayed-ACK stall.
#
#   scripts/bench-vu-order.sh                 # 3 interleaved rounds of 10 s
#   ROUNDS=5 RATE=50 VUS=20 DELAY_MS=20 scripts/bench-vu-order.sh
#
# Per round: latency p50/p90/p99 (summary.json), connections that carried a request (the
# server's count) and client CPU µs per request (/usr/bin/time user+sys over the requests).
# The table goes to stdout and to results/bench-vu-order-<date>.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
DUR=${DUR:-10}
RATE=${RATE:-50}
VUS=${VUS:-20}
DELAY_MS=${DELAY_MS:-20}
PORT=${PORT:-18931}
cargo build --release -p loadgen >&2
LOADGEN=${LOADGEN:-target/release/loadgen}
work=$(mktemp -d /tmp/bench-vu-order.XXXXXX)
report="results/bench-vu-order-$(date +%F).md"

scenario() { # ORDER
    cat <<EOF
name = "vu-order-$1"
target = "http://127.0.0.1:$PORT"
graceful_stop = "2s"
[[workload]]
name = "w"
model = "open"
rate = "$RATE/s"
max_vus = $VUS
pre_allocated_vus = $VUS
vu_order = "$1"
duration = "${DUR}s"
[[workload.step]]
name = "get"
http = { method = "GET", path = "/" }
EOF
}

rows=()
for round in $(seq 1 "$ROUNDS"); do
    for order in lifo fifo; do
        python3 scripts/lib/nagle_server.py "$PORT" "$DELAY_MS" >"$work/server-$order-$round.log" 2>&1 &
        server=$!
        for _ in $(seq 50); do grep -q listening "$work/server-$order-$round.log" 2>/dev/null && break; sleep 0.1; done
        scenario "$order" >"$work/$order.toml"
        out="$work/out-$order-$round"
        /usr/bin/time -f "%U %S" -o "$work/time-$order-$round" \
            timeout $((DUR + 60)) "$LOADGEN" run "$work/$order.toml" --threads 1 --quiet --out "$out" >/dev/null 2>&1 || true
        kill -TERM "$server"; wait "$server" 2>/dev/null || true
        used=$(sed -n 's/^connections_used=//p' "$work/server-$order-$round.log")
        rows+=("$(python3 - "$out/summary.json" "$work/time-$order-$round" "$order" "$round" "$used" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); t = open(sys.argv[2]).read().split()
step = s["steps"][0]; n = step["count"]; cpu = float(t[0]) + float(t[1])
lat = step["latency"]
print(f"| {sys.argv[4]} | {sys.argv[3]} | {n} | {sys.argv[5]} | {lat['p50']:.1f} | {lat['p90']:.1f} | {lat['p99']:.1f} | {cpu * 1e6 / max(n, 1):.0f} |")
PY
)")
    done
done
{
    echo "# vu_order: FIFO against LIFO ($(date +%F), ${RATE}/s, ${VUS} VUs, ${DUR} s, server ${DELAY_MS} ms in two writes, Nagle on)"
    echo
    echo "| round | vu_order | requests | connections used | p50 ms | p90 ms | p99 ms | client CPU µs/request |"
    echo "|---:|---|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
} | tee "$report"
echo "raw outputs: $work" >&2
