#!/usr/bin/env bash
# Instructions per signed webhook delivery, counted by callgrind (exact and repeatable, unlike
# wall-clock figures on a shared machine), for one or more git revisions or built binaries.
#
#   scripts/callgrind-webhook.sh [REV | PATH-TO-LOADGEN ...]   # default: the working tree
#   FAST_PATH=false scripts/callgrind-webhook.sh                # force hyper's path
#
# A bounded, closed-loop variant of scenarios/webhook-storm.toml: its Stripe step (the same
# payment payload, event mix, retries and 10% built-to-fail deliveries: forged signatures,
# stale timestamps, duplicates, out-of-order events) looped without think time by 2 VUs on
# one thread against the demo target (`loadgen target`, which verifies every signature), run
# under callgrind twice: 50 iterations per VU, then 300. Counted, not timed, so a machine busy
# with other builds changes the wall time, not the count. Callgrind counts each thread apart
# (`--separate-threads`) and the figure is the worker thread's, where every delivery is
# built, signed, sent and read (hyper's connection task included): the aggregator's work per
# second (which grows with the wall time, not with deliveries) stays out. Per delivery =
# (worker instructions of the long run − the short run) / (its deliveries − the short run's).
# The demo target runs outside callgrind. The same is done for a plain `GET /health` step on
# the HTTP/1.1 fast path (10 VUs, 100 then 600 iterations each) unless PLAIN=0.
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

instr() { # callgrind output prefix -> the worker thread's Ir (the one running sessions)
    awk '/^summary:/ {print $2}' "$(grep -l 'Session>::iteration' "$1"-* | head -1)"
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
        case $kind in
            webhook) vus=2 short=50 long=300 ;;
            plain) vus=10 short=100 long=600 ;;
        esac
        for n in $short $long; do
            toml="$WORK/$kind-$n.toml"
            cat >"$toml" <<TOML
name = "callgrind-$kind"
target = "$url"
duration = "10m"
seed = 11

[http]
fast_path = $FAST_PATH

[payload.payment]
amount = { lognormal = { median = 45.0, sigma = 0.8 } }
currency = { AUD = 60, USD = 30, EUR = 10 }

[[workload]]
name = "loop"
model = "closed"
vus = $vus
iterations = $n

  [[workload.step]]
  name = "$kind"
  $(step_of "$kind")
TOML
            out="$WORK/cg.$kind.$n"
            rm -rf "$WORK/out.$kind.$n"
            valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$out" \
                "$bin/loadgen" run "$toml" --threads 1 --out "$WORK/out.$kind.$n" \
                >"$out.stdout" 2>"$out.stderr" || true
            reqs[$n]=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['totals']['requests'])" "$WORK/out.$kind.$n/summary.json")
            ir[$n]=$(instr "$out")
        done
        per=$(( (ir[$long] - ir[$short]) / (reqs[$long] - reqs[$short]) ))
        echo "$label  $kind (fast_path = $FAST_PATH)  requests ${reqs[$short]} / ${reqs[$long]}  instructions ${ir[$short]} / ${ir[$long]}  per request $per"
    done
    kill "$TARGET_PID" 2>/dev/null || true
    wait "$TARGET_PID" 2>/dev/null || true
    TARGET_PID=""
done
