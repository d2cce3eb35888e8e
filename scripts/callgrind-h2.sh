#!/usr/bin/env bash
# Instructions per request of closed-loop HTTP/2 (h2c) against nginx, counted by callgrind:
# loadgen's lean HTTP/2 path, the h2 crate's path (`[http] fast_path = false`) and h2load.
#
#   scripts/callgrind-h2.sh [BINARY]      # default: build the working tree's loadgen (release)
#   STREAMS=10 scripts/callgrind-h2.sh    # 500 VUs sharing 50 connections (h2load -m10)
#
# nginx (one worker, outside callgrind) serves `return 200 "ok"` over h2c. Each loadgen path
# runs under callgrind twice for the same 6 s with 50 VUs on one thread, each VU on its own
# connection (STREAMS=N: 50*N VUs, N to a connection, `streams_per_connection = N`, against
# h2load -m N): think time 200 ms, then 20 ms. Both runs last as long, so they have as many
# intervals and the same start-up, connections and shutdown; the difference is requests:
# per request = (instructions of the busy run - the idle run) / (its requests - the idle
# run's). h2load (-c50 -m1 -t1) runs twice too, with -n 2000 and -n 6000: the same
# difference. Counts, not wall clock: repeatable on a busy machine, but callgrind slows the
# client, so the busy runs are CPU-bound; measure quiet anyway.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
. "$ROOT/scripts/lib/nginx.sh"
for tool in valgrind nginx h2load; do
    command -v $tool >/dev/null || { echo "$tool is needed" >&2; exit 1; }
done
WORK=$(mktemp -d)
trap 'stop_nginx; rm -rf "$WORK"' EXIT

bin=${1:-}
if [ -z "$bin" ]; then
    cargo build --release -q --manifest-path "$ROOT/Cargo.toml" -p loadgen
    bin=$CARGO_TARGET_DIR/release/loadgen
fi
PORT=${PORT:-8289}
STREAMS=${STREAMS:-1}
NGINX_H2C_PORT=$((PORT + 2)) start_nginx "$WORK" "$PORT" 0 "$(command -v nginx)"
url="http://127.0.0.1:$((PORT + 2))"

instr() { awk '/^summary:/ {print $2}' "$1"; }

declare -A ir=() reqs=()
for path in lean h2crate; do
    fast=true
    [ "$path" = h2crate ] && fast=false
    for think in 200ms 20ms; do
        cat >"$WORK/$path-$think.toml" <<TOML
name = "callgrind-h2"
target = "$url"
duration = "6s"
[http]
version = "http2"
fast_path = $fast
streams_per_connection = $STREAMS
[[workload]]
name = "loop"
model = "closed"
vus = $((50 * STREAMS))
think_time = "$think"
  [[workload.step]]
  name = "get"
  http = { method = "GET", path = "/" }
TOML
        out="$WORK/cg.$path.$think"
        valgrind --tool=callgrind --callgrind-out-file="$out" \
            "$bin" run "$WORK/$path-$think.toml" --threads 1 --quiet --out "$WORK/out.$path.$think" \
            >"$out.stdout" 2>"$out.stderr" || true
        reqs[$path.$think]=$(python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(s['totals']['requests'])" "$WORK/out.$path.$think/summary.json")
        ok=$(python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(s['totals'].get('failed', 0))" "$WORK/out.$path.$think/summary.json")
        ir[$path.$think]=$(instr "$out")
        echo "  $path think $think: requests ${reqs[$path.$think]} (failed $ok), instructions ${ir[$path.$think]}" >&2
    done
    per=$(( (ir[$path.20ms] - ir[$path.200ms]) / (reqs[$path.20ms] - reqs[$path.200ms]) ))
    echo "loadgen $path  requests ${reqs[$path.200ms]} / ${reqs[$path.20ms]}  instructions ${ir[$path.200ms]} / ${ir[$path.20ms]}  per request $per"
done

for n in 2000 6000; do
    out="$WORK/cg.h2load.$n"
    valgrind --tool=callgrind --callgrind-out-file="$out" \
        h2load -n "$n" -c 50 -m "$STREAMS" -t 1 "$url/" >"$out.stdout" 2>"$out.stderr" || true
    done_n=$(awk '/^requests:/ {print $8}' "$out.stdout")
    ir[h2load.$n]=$(instr "$out")
    reqs[h2load.$n]=$done_n
    echo "  h2load -n $n: succeeded $done_n, instructions ${ir[h2load.$n]}" >&2
done
per=$(( (ir[h2load.6000] - ir[h2load.2000]) / (reqs[h2load.6000] - reqs[h2load.2000]) ))
echo "h2load -c50 -m$STREAMS  requests ${reqs[h2load.2000]} / ${reqs[h2load.6000]}  instructions ${ir[h2load.2000]} / ${ir[h2load.6000]}  per request $per"
