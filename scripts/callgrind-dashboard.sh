#!/usr/bin/env bash
# Instructions per request with and without `--dashboard` (one page following the event
# stream), counted by callgrind: the same closed loop as scripts/callgrind-per-request.sh
# (10 VUs, one thread, GET /health, think 10 ms, 6 s), whole process, release build of the
# working tree. Prints instructions, requests and their ratio for both runs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install -y valgrind)" >&2; exit 1; }
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
cargo build --release -q --manifest-path "$ROOT/Cargo.toml" -p loadgen
bin="$CARGO_TARGET_DIR/release/loadgen"
"$bin" target --listen 127.0.0.1:0 --threads 1 >"$WORK/target.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -qo '127\.0\.0\.1:[0-9]*' "$WORK/target.out" && break; sleep 0.1; done
url="http://$(grep -o '127\.0\.0\.1:[0-9]*' "$WORK/target.out" | head -1)"
cat >"$WORK/closed.toml" <<TOML
name = "callgrind-dashboard"
target = "$url"
duration = "6s"

[[workload]]
name = "loop"
model = "closed"
vus = 10
think_time = "10ms"

  [[workload.step]]
  name = "health"
  http = { method = "GET", path = "/health" }
TOML
for mode in plain dashboard; do
    flags=()
    [ "$mode" = dashboard ] && flags=(--dashboard=127.0.0.1:0)
    valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.$mode" \
        "$bin" run "$WORK/closed.toml" --threads 1 --out "$WORK/out.$mode" "${flags[@]}" \
        >"$WORK/$mode.stdout" 2>"$WORK/$mode.stderr" &
    run=$!
    if [ "$mode" = dashboard ]; then
        # One page following the stream for the whole run.
        for _ in $(seq 200); do grep -q 'dashboard at' "$WORK/$mode.stdout" && break; sleep 0.1; done
        page=$(grep -o 'http://[^ #]*' "$WORK/$mode.stdout" | tail -1)
        curl -sN "${page}events" >"$WORK/events.txt" 2>/dev/null &
        PIDS+=($!)
    fi
    wait "$run" || true
    ir=$(awk '/^summary:/ {print $2}' "$WORK/cg.$mode")
    reqs=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['totals']['requests'])" "$WORK/out.$mode/summary.json")
    echo "$mode  instructions $ir  requests $reqs  per request $((ir / reqs))"
done
echo "events the page received: $(grep -c '^event:' "$WORK/events.txt" || true)"
