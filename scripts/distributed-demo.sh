#!/usr/bin/env bash
# The whole distributed flow on one machine, each process on its own loopback address as if
# it were its own host: one demo target, then
#   1. shared-nothing: three `loadgen run --segment i/3 --start-at T` and `loadgen merge`;
#   2. live: three `loadgen worker`s (127.0.0.2-.4) and one `loadgen coordinator`.
# Each part prints the merged request count next to the target's own count.
# Usage: scripts/distributed-demo.sh [RESULTS_DIR]   (LOADGEN=path/to/loadgen to skip the build)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/distributed-demo}
loadgen=${LOADGEN:-}
if [ -z "$loadgen" ]; then
    cargo build --release -q -p loadgen
    loadgen=target/release/loadgen
fi
rm -rf "$out" && mkdir -p "$out"
export LOADGEN_SECRET=${LOADGEN_SECRET:-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

cat > "$out/demo.toml" <<'TOML'
name = "distributed-demo"
target = "${TARGET_URL}"
duration = "5s"
seed = 7

[[workload]]
name = "checkout"
model = "open"
arrivals = "poisson"
rate = "300/s"
max_vus = 200

  [[workload.step]]
  name = "create-payment"
  http = { method = "POST", path = "/api/payments", json = { amount = 250, currency = "AUD", reference = "{{uuid}}" } }
  expect = { status = [201] }

[thresholds]
"latency{step=create-payment}" = ["p(99) < 1s"]
"errors" = ["rate < 1%"]
TOML

counter() { curl -s "$TARGET_URL/__counters" | sed -E 's/.*"create_payment":([0-9]+).*/\1/'; }
port=$((20000 + RANDOM % 20000))
"$loadgen" target --listen "127.0.0.1:$port" --latency "lognormal:median=2ms,p99=20ms" >"$out/target.log" 2>&1 &
pids+=($!)
export TARGET_URL="http://127.0.0.1:$port"
for _ in $(seq 50); do curl -sf "$TARGET_URL/health" >/dev/null && break; sleep 0.1; done

echo "== 1. shared-nothing: three segments start together, then loadgen merge"
start_at=$(date -u -d '+3 sec' +%Y-%m-%dT%H:%M:%SZ)
seg_pids=()
for i in 0 1 2; do
    "$loadgen" run "$out/demo.toml" --segment "$i/3" --start-at "$start_at" --threads 1 --quiet \
        --out "$out/segment-$i" >"$out/segment-$i.log" 2>&1 &
    seg_pids+=($!)
done
for p in "${seg_pids[@]}"; do wait "$p" || true; done
set +e
"$loadgen" merge "$out"/segment-{0,1,2} --out "$out/merged" --quiet
echo "merge exit code: $?"
set -e
echo "target saw $(counter) payments; the merge counted $(grep -o '"requests": [0-9]*' "$out/merged/summary.json" | head -1)"

echo
echo "== 2. live: three workers on 127.0.0.2-.4, one coordinator"
before=$(counter)
addrs=()
for ip in 127.0.0.2 127.0.0.3 127.0.0.4; do
    "$loadgen" worker --listen "$ip:0" --once --out "$out/worker-$ip" >"$out/worker-$ip.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do grep -q "listening on" "$out/worker-$ip.log" 2>/dev/null && break; sleep 0.1; done
    addrs+=("$(grep -o 'listening on .*' "$out/worker-$ip.log" | awk '{print $3}')")
done
set +e
"$loadgen" coordinator "$out/demo.toml" --workers "$(IFS=,; echo "${addrs[*]}")" \
    --threads 1 --out "$out/live"
code=$?
set -e
echo "coordinator exit code: $code"
echo "target saw $(( $(counter) - before )) payments in the live run; the coordinator counted $(grep -o '"requests": [0-9]*' "$out/live/summary.json" | head -1)"
echo
echo "Each worker kept its own folder (merge them to rebuild the verdict without the coordinator):"
ls -d "$out"/worker-*/*/
