#!/usr/bin/env bash
# Instructions per request of the closed-loop HTTP/1.1 fast path, counted by callgrind (exact
# and repeatable, unlike wall-clock ratios on a shared machine), at one or more git revisions.
#
#   scripts/callgrind-per-request.sh [REV ...]     # default: the working tree
#   scripts/callgrind-per-request.sh /tmp/loadgen-old WORKTREE   # a binary built earlier
#
# The fast run must reach its requests (about 4,500 here): on a machine so busy that callgrind
# is starved it sends far fewer, and the difference is mostly fixed costs — measure quiet.
#
# For each revision it builds the `loadgen` binary (release), starts the demo target outside
# callgrind, and runs a closed workload under callgrind twice for the same 6 s: 10 VUs on one
# thread looping `GET /health` on the HTTP/1.1 fast path with a fixed think time of 40 ms, then
# 10 ms. Both runs last as long, so they have as many intervals (the results pipeline's cost
# per second) and the same start-up and shutdown; the difference is requests. Per request =
# (instructions of the fast run − the slow run) / (its requests − the slow run's). The think
# time's timer is part of each iteration in both revisions alike.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install -y valgrind)" >&2; exit 1; }
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

for rev in "${revs[@]}"; do
    bin="$WORK/bin-$(echo "$rev" | tr -c 'a-zA-Z0-9' _)"
    mkdir -p "$bin"
    if [ -f "$rev" ] && [ -x "$rev" ]; then
        # A binary built earlier (a quiet machine measures, a busy one built it).
        cp "$rev" "$bin/loadgen"
        label="binary $rev"
    elif [ "$rev" = WORKTREE ]; then src=$ROOT; label="working tree"; else
        src="$WORK/wt-$(echo "$rev" | tr -c 'a-zA-Z0-9' _)"
        git -C "$ROOT" worktree add --detach "$src" "$rev" >/dev/null 2>&1
        label="$rev ($(git -C "$ROOT" rev-parse --short "$rev"))"
    fi
    if [ ! -x "$bin/loadgen" ]; then
        cargo build --release -q --manifest-path "$src/Cargo.toml" -p loadgen
        cp "$CARGO_TARGET_DIR/release/loadgen" "$bin/"
    fi

    # One demo target for both clients, outside callgrind.
    "$bin/loadgen" target --listen 127.0.0.1:0 --threads 1 >"$WORK/target.out" 2>&1 &
    TARGET_PID=$!
    for _ in $(seq 100); do grep -qo '127\.0\.0\.1:[0-9]*' "$WORK/target.out" && break; sleep 0.1; done
    addr=$(grep -o '127\.0\.0\.1:[0-9]*' "$WORK/target.out" | head -1)
    url="http://$addr"

    declare -A ir=() reqs=()
    for think in 40ms 10ms; do
        cat >"$WORK/closed-$think.toml" <<TOML
name = "callgrind-closed"
target = "$url"
duration = "6s"

[[workload]]
name = "loop"
model = "closed"
vus = 10
think_time = "$think"

  [[workload.step]]
  name = "health"
  http = { method = "GET", path = "/health" }
TOML
        out="$WORK/cg.$think"
        rm -rf "$WORK/out.$think"
        valgrind --tool=callgrind --callgrind-out-file="$out" \
            "$bin/loadgen" run "$WORK/closed-$think.toml" --threads 1 --out "$WORK/out.$think" \
            >"$out.stdout" 2>"$out.stderr" || true
        reqs[$think]=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['totals']['requests'])" "$WORK/out.$think/summary.json")
        ir[$think]=$(instr "$out")
    done
    per=$(( (ir[10ms] - ir[40ms]) / (reqs[10ms] - reqs[40ms]) ))
    echo "$label  closed loop, fast path  requests ${reqs[40ms]} / ${reqs[10ms]}  instructions ${ir[40ms]} / ${ir[10ms]}  per request $per"
    kill "$TARGET_PID" 2>/dev/null || true
    wait "$TARGET_PID" 2>/dev/null || true
    TARGET_PID=""
done
