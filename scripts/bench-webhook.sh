#!/usr/bin/env bash
# Client CPU per signed webhook delivery, on the fast path and on hyper's, beside a plain POST
# of the same payment payload: what signing and the envelope cost on top of a request.
#
#   scripts/bench-webhook.sh                      # 3 interleaved rounds of 15 s at 1,500/s
#   RUNS=5 DUR=10 RATE=3000 scripts/bench-webhook.sh
#
# The demo target (`loadgen target`, its own process, one thread, verifying every signature)
# runs on TARGET_CPU; loadgen runs alone on CLIENT_CPU with one worker thread, an open model
# at RATE arrivals/s for DUR seconds. Three clients, interleaved each round:
#   webhook  - the Stripe step of scenarios/webhook-storm.toml (its payload, event mix, retries
#              and 10% built-to-fail deliveries), HTTP/1.1 fast path;
#   hyper    - the same with `[http] fast_path = false`;
#   post     - `POST /api/payments` with `json = "@payment"` (the same payload generator,
#              no signature, no envelope), fast path.
# CPU = the worker thread's (summary.json's `generator.worker_cpu_seconds`: every request built,
# signed, sent, read and recorded, without process start or the results thread); requests
# from summary.json. Wall-clock figures move ±10% run to run on a
# shared machine: compare medians of the same run. The table goes to stdout and to
# results/bench-webhook-<date>.md.
#
# Environment: RUNS (3), DUR (15), RATE (1500), TARGET_CPU (0), CLIENT_CPU (1), PORT (18097),
# CARGO_TARGET_DIR (<repo>/target).
set -euo pipefail
RUNS=${RUNS:-3}
DUR=${DUR:-15}
RATE=${RATE:-1500}
TARGET_CPU=${TARGET_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-18097}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
cargo build --release -q -p loadgen --manifest-path "$ROOT/Cargo.toml"
BIN=$CARGO_TARGET_DIR/release/loadgen
SECRET=whsec_bG9hZGdlbi1kZW1vLXdlYmhvb2stc2VjcmV0

WORK=$(mktemp -d /tmp/bench-webhook.XXXXXX)
TARGET_PID=""
cleanup() {
    [ -n "$TARGET_PID" ] && kill "$TARGET_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

taskset -c "$TARGET_CPU" "$BIN" target --listen "127.0.0.1:$PORT" --threads 1 \
    --webhook-secret "$SECRET" >"$WORK/target.log" 2>&1 &
TARGET_PID=$!
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
done

scenario() { # client -> scenario TOML
    local fast=true step
    case $1 in
        webhook | hyper)
            step="webhook = { provider = \"stripe\", secret = \"$SECRET\", path = \"/webhooks/stripe\", payload = \"@payment\", events = { \"payment_intent.succeeded\" = 80, \"payment_intent.payment_failed\" = 10, \"charge.refunded\" = 5, \"charge.dispute.created\" = 3, \"payout.paid\" = 2 }, retries = { max = 4, backoff = \"50ms\", max_backoff = \"1s\" }, fail = { share = \"10%\", bad_signature = 4, stale = 2, duplicate = 3, out_of_order = 1 } }"
            [ "$1" = hyper ] && fast=false
            ;;
        post) step='http = { method = "POST", path = "/api/payments", json = "@payment" }' ;;
    esac
    cat <<TOML
name = "bench-webhook-$1"
target = "http://127.0.0.1:$PORT"
duration = "${DUR}s"
seed = 11

[http]
fast_path = $fast
timeout = "5s"

[payload.payment]
amount = { lognormal = { median = 45.0, sigma = 0.8 } }
currency = { AUD = 60, USD = 30, EUR = 10 }

[[workload]]
name = "w"
model = "open"
rate = "$RATE/s"
max_vus = 200
pre_allocated_vus = 20

  [[workload.step]]
  name = "s"
  $step
  expect = { status = [200, 201, 202, 400, 402, 409, 422, 500] }
TOML
}

measure() { # client -> "requests cpu_seconds"
    local toml="$WORK/$1.toml" out="$WORK/out-$1"
    scenario "$1" >"$toml"
    rm -rf "$out"
    taskset -c "$CLIENT_CPU" "$BIN" run "$toml" --threads 1 --out "$out" >"$WORK/run.log" 2>&1 || true
    python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(s['totals']['requests'], s['generator']['worker_cpu_seconds'])" "$out/summary.json"
}

CLIENTS=(webhook hyper post)
declare -A US
for round in $(seq "$RUNS"); do
    for c in "${CLIENTS[@]}"; do
        read -r requests cpu < <(measure "$c")
        us=$(awk -v r="$requests" -v c="$cpu" 'BEGIN { printf "%.1f", c * 1e6 / r }')
        printf 'round %d %-8s requests=%s cpu=%ss -> %s us/request\n' "$round" "$c" "$requests" "$cpu" "$us" >&2
        US[$c]="${US[$c]:-} $us"
    done
done

# shellcheck source=lib/stats.sh
. "$(dirname "$0")/lib/stats.sh"
DATE=$(date +%Y-%m-%d)
REPORT="$ROOT/results/bench-webhook-$DATE.md"
mkdir -p "$ROOT/results"
POST=$(echo "${US[post]}" | median)
{
    echo "# Client CPU per webhook delivery, $DATE"
    echo
    echo "Demo target on CPU $TARGET_CPU (one thread, verifying signatures); loadgen alone on CPU $CLIENT_CPU, one worker"
    echo "thread, open model at $RATE/s for ${DUR}s; CPU = the worker thread's (summary.json \`generator.worker_cpu_seconds\`)."
    echo "Medians of $RUNS interleaved rounds. Machine: $(nproc) CPUs."
    echo
    echo "| client | µs of client CPU per request (median) | vs plain POST | rounds |"
    echo "|---|---:|---:|---|"
    for c in "${CLIENTS[@]}"; do
        med=$(echo "${US[$c]}" | median)
        case $c in
            webhook) name="Stripe delivery, fast path" ;;
            hyper) name="Stripe delivery, hyper (\`fast_path = false\`)" ;;
            post) name="plain POST of the same payload, fast path" ;;
        esac
        echo "| $name | $med | $(awk -v a="$med" -v b="$POST" 'BEGIN { printf "%.2fx", a / b }') |${US[$c]} |"
    done
    echo
    echo "Reproduce: \`RUNS=$RUNS DUR=$DUR RATE=$RATE scripts/bench-webhook.sh\`"
} | tee "$REPORT"
echo "written: $REPORT" >&2
