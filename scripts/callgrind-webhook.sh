#!/usr/bin/env bash
# Instructions per signed webhook delivery, counted by callgrind (exact and repeatable, unlike
# wall-clock figures on a shared machine), for one or more git revisions or built binaries.
#
#   scripts/callgrind-webhook.sh [REV | PATH-TO-LOADGEN ...]   # default: the working tree
#   FAST_PATH=false scripts/callgrind-webhook.sh                # force hyper's path
#
# A bounded, closed-loop variant of scenarios/webhook-storm.toml: its Stripe step (the same
# payment payload, event mix, retries and 10% built-to-fail deliveries: forged signatures,
# stale timestamps, duplicates, out-of-order events) looped by 10 VUs on one thread against
# the demo target (`loadgen target`, which verifies every signature), run under callgrind
# twice for the same 6 s with a fixed think time of 40 ms, then 10 ms. Both runs have as many
# intervals and the same start-up and shutdown; the difference is deliveries. Per delivery =
# (instructions of the fast run − the slow run) / (its deliveries − the slow run's). The demo
# target runs outside callgrind. The same is done for a plain `GET /health` step
# (scripts/callgrind-per-request.sh's loop) unless PLAIN=0.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install -y valgrind)" >&2; exit 1; }
FAST_PATH=${FAST_PATH:-true}
PLAIN=${PLAIN:-1}
WORK=$(mktemp -d)
TARGET_PID=""
cleanup() {
    [ -n "$TARGET_PID" ] && kill "$TARGET_PID" 2>/dev/null || true
    for wt in "$WORK"/wt-*; do [ -d "$wt" ] && git -C "$ROOT" worktree remove --force "$wt" >/dev/null 2>&1 || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

revs=("$@")
[ ${#revs[@]} -eq 0 ] && revs=(WORKTREE)

instr() { # callgrind output file -> total Ir
    awk '/^summary:/ {print $2}' "$1"
}

step_of() { # kind -> the step's TOML
    case $1 in
        webhook) echo 'webhook = { provider = "stripe", secret = "whsec_bG9hZGdlbi1kZW1vLXdlYmhvb2stc2VjcmV0", path = "/webhooks/stripe", payload = "@payment", events = { "payment_intent.succeeded" = 80, "payment_intent.payment_failed" = 10, "charge.refunded" = 5, "charge.dispute.created" = 3, "payout.paid" = 2 }, retries = { max = 4, backoff = "50ms", max_backoff = "1s" }, fail = { share = "10%", bad_signature = 4, stale = 2, duplicate = 3, out_of_order = 1 } }' ;;
        plain) echo 'http = { method = "GET", path = "/health" }' ;;
    esac
}

kinds=(webhook)
[ "$PLAIN" = 1 ] && kinds+=(plain)

for rev in "${revs[@]}"; do
    bin="$WORK/bin-$(echo "$rev" | tr -c 'a-zA-Z0-9' _)"
    mkdir -p "$bin"
    if [ -x "$rev" ] && [ -f "$rev" ]; then
        cp "$rev" "$bin/loadgen"
        label="$rev"
    else
        if [ "$rev" = WORKTREE ]; then src=$ROOT; label="working tree"; else
            src="$WORK/wt-$(echo "$rev" | tr -c 'a-zA-Z0-9' _)"
            git -C "$ROOT" worktree add --detach "$src" "$rev" >/dev/null 2>&1
            label="$rev ($(git -C "$ROOT" rev-parse --short "$rev"))"
        fi
        cargo build --release -q --manifest-path "$src/Cargo.toml" -p loadgen
        cp "$CARGO_TARGET_DIR/release/loadgen" "$bin/"
    fi

    # One demo target for every client, outside callgrind.
    "$bin/loadgen" target --listen 127.0.0.1:0 --threads 1 >"$WORK/target.out" 2>&1 &
    TARGET_PID=$!
    for _ in $(seq 100); do grep -qo '127\.0\.0\.1:[0-9]*' "$WORK/target.out" && break; sleep 0.1; done
    addr=$(grep -o '127\.0\.0\.1:[0-9]*' "$WORK/target.out" | head -1)
    url="http://$addr"

    for kind in "${kinds[@]}"; do
        declare -A ir=() reqs=()
        for think in 40ms 10ms; do
            toml="$WORK/$kind-$think.toml"
            cat >"$toml" <<TOML
name = "callgrind-$kind"
target = "$url"
duration = "6s"
seed = 11

[http]
fast_path = $FAST_PATH

[payload.payment]
amount = { lognormal = { median = 45.0, sigma = 0.8 } }
currency = { AUD = 60, USD = 30, EUR = 10 }

[[workload]]
name = "loop"
model = "closed"
vus = 10
think_time = "$think"

  [[workload.step]]
  name = "$kind"
  $(step_of "$kind")
TOML
            out="$WORK/cg.$kind.$think"
            rm -rf "$WORK/out.$kind.$think"
            valgrind --tool=callgrind --callgrind-out-file="$out" \
                "$bin/loadgen" run "$toml" --threads 1 --out "$WORK/out.$kind.$think" \
                >"$out.stdout" 2>"$out.stderr" || true
            reqs[$think]=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['totals']['requests'])" "$WORK/out.$kind.$think/summary.json")
            ir[$think]=$(instr "$out")
        done
        per=$(( (ir[10ms] - ir[40ms]) / (reqs[10ms] - reqs[40ms]) ))
        echo "$label  $kind (fast_path = $FAST_PATH)  requests ${reqs[40ms]} / ${reqs[10ms]}  instructions ${ir[40ms]} / ${ir[10ms]}  per request $per"
    done
    kill "$TARGET_PID" 2>/dev/null || true
    wait "$TARGET_PID" 2>/dev/null || true
    TARGET_PID=""
done
