#!/usr/bin/env bash
# Instructions per request of the closed-loop HTTP/1.1 fast path, counted by callgrind (exact
# and repeatable, unlike wall-clock ratios on a shared machine), at one or more git revisions.
#
#   scripts/callgrind-per-request.sh [REV ...]     # default: the working tree
#
# For each revision it builds (release) the `hammer` example and the `loadgen` binary, starts
# the demo target outside callgrind, and runs each client twice under callgrind with 10 VUs on
# one thread (1 s and 3 s of load). Per request = (instructions of the long run − the short
# run) / (requests of the long run − the short run), so start-up and shutdown cancel out.
# Prints one line per revision and client.
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
    if [ "$rev" = WORKTREE ]; then src=$ROOT; label="working tree"; else
        src="$WORK/wt-$(echo "$rev" | tr -c 'a-zA-Z0-9' _)"
        git -C "$ROOT" worktree add --detach "$src" "$rev" >/dev/null 2>&1
        label="$rev ($(git -C "$ROOT" rev-parse --short "$rev"))"
    fi
    bin="$WORK/bin-$(echo "$rev" | tr -c 'a-zA-Z0-9' _)"
    mkdir -p "$bin"
    cargo build --release -q --manifest-path "$src/Cargo.toml" -p loadgen-http --example hammer
    cp "$CARGO_TARGET_DIR/release/examples/hammer" "$bin/"
    cargo build --release -q --manifest-path "$src/Cargo.toml" -p loadgen
    cp "$CARGO_TARGET_DIR/release/loadgen" "$bin/"

    # One demo target for both clients, outside callgrind.
    "$bin/loadgen" target --listen 127.0.0.1:0 --threads 1 >"$WORK/target.out" 2>&1 &
    TARGET_PID=$!
    for _ in $(seq 100); do grep -qo '127\.0\.0\.1:[0-9]*' "$WORK/target.out" && break; sleep 0.1; done
    addr=$(grep -o '127\.0\.0\.1:[0-9]*' "$WORK/target.out" | head -1)
    url="http://$addr/health"

    for client in hammer loadgen; do
        declare -A ir=() reqs=()
        for secs in 1 3; do
            out="$WORK/cg.$client.$secs"
            if [ $client = hammer ]; then
                valgrind --tool=callgrind --callgrind-out-file="$out" \
                    "$bin/hammer" --url "$url" --vus 10 --duration "$secs" --threads 1 \
                    >"$out.stdout" 2>"$out.stderr"
                reqs[$secs]=$(grep -o 'requests=[0-9]*' "$out.stdout" | cut -d= -f2)
            else
                rm -rf "$WORK/out.$secs"
                valgrind --tool=callgrind --callgrind-out-file="$out" \
                    "$bin/loadgen" run --url "$url" --vus 10 --duration "${secs}s" --threads 1 \
                    --out "$WORK/out.$secs" >"$out.stdout" 2>"$out.stderr" || true
                reqs[$secs]=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['totals']['requests'])" "$WORK/out.$secs/summary.json")
            fi
            ir[$secs]=$(instr "$out")
        done
        per=$(( (ir[3] - ir[1]) / (reqs[3] - reqs[1]) ))
        echo "$label  $client  requests ${reqs[1]} / ${reqs[3]}  instructions ${ir[1]} / ${ir[3]}  per request $per"
    done
    kill "$TARGET_PID" 2>/dev/null || true
    wait "$TARGET_PID" 2>/dev/null || true
    TARGET_PID=""
done
