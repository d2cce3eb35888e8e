#!/usr/bin/env bash
# Instructions per request of the single-step closed loop and of the 3-step capturing journey
# (each step captures the `id` of nginx's JSON answer for the next step's path, as the journey
# row of scripts/bench-peers.sh), counted by callgrind at one or more git revisions, against
# one nginx outside callgrind.
#
#   scripts/callgrind-journey.sh [REV ...]     # default: the working tree
#
# For each revision it builds the `hammer` example of loadgen-http (release) with this tree's
# examples/hammer.rs (older revisions have no --journey; it uses only the crate's public API),
# then runs each mode under callgrind twice for the same DUR seconds (default 15): 10 VUs on one
# thread with a think time of 40 ms, then 10 ms between iterations. Per request = (instructions
# of the 10 ms run − the 40 ms run) / (its requests − the 40 ms run's): start-up, shutdown and
# the once-a-second work cancel out. Needs valgrind and nginx (apt).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
DUR=${DUR:-15}
PORT=${PORT:-18089}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install -y valgrind)" >&2; exit 1; }
[ -x "$NGINX" ] || { echo "nginx is needed (apt-get install -y nginx)" >&2; exit 1; }
# shellcheck source=lib/nginx.sh
. "$ROOT/scripts/lib/nginx.sh"
WORK=$(mktemp -d)
cleanup() {
    stop_nginx
    for wt in "$WORK"/wt-*; do [ -d "$wt" ] && git -C "$ROOT" worktree remove --force "$wt" >/dev/null 2>&1 || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

revs=("$@")
[ ${#revs[@]} -eq 0 ] && revs=(WORKTREE)

start_nginx "$WORK/nginx" "$PORT" "${NGINX_CPUS:-0-1}" "$NGINX"
URL="http://127.0.0.1:$PORT/j/"

for rev in "${revs[@]}"; do
    if [ "$rev" = WORKTREE ]; then src=$ROOT; label="working tree"; else
        src="$WORK/wt-$(echo "$rev" | tr -c 'a-zA-Z0-9' _)"
        git -C "$ROOT" worktree add --detach "$src" "$rev" >/dev/null 2>&1
        cp "$ROOT/crates/http/examples/hammer.rs" "$src/crates/http/examples/hammer.rs"
        label="$rev ($(git -C "$ROOT" rev-parse --short "$rev"))"
    fi
    bin="$WORK/hammer-$(echo "$rev" | tr -c 'a-zA-Z0-9' _)"
    # Revisions share the target folder, and cargo names a workspace crate's artefacts the
    # same in every checkout: sources newer than the last build make it compile this
    # revision's crates (and copy its binary to examples/hammer) instead of reusing another's.
    find "$src/crates" "$src/benches" -name '*.rs' -exec touch {} +
    cargo build --release -q --manifest-path "$src/Cargo.toml" -p loadgen-http --example hammer
    cp "$CARGO_TARGET_DIR/release/examples/hammer" "$bin"
    for mode in single journey; do
        flag=""
        [ "$mode" = journey ] && flag="--journey"
        declare -A ir=() reqs=()
        for think in 40 10; do
            out="$WORK/cg.$mode.$think"
            # shellcheck disable=SC2086
            valgrind --tool=callgrind --callgrind-out-file="$out" \
                "$bin" --url "$URL" --vus 10 --threads 1 --duration "$DUR" --think "$think" $flag \
                >"$out.stdout" 2>"$out.stderr" || true
            reqs[$think]=$(grep -o 'requests=[0-9]*' "$out.stdout" | cut -d= -f2)
            ir[$think]=$(awk '/^summary:/ {print $2}' "$out")
            path=$(grep -o 'path=[a-z]*' "$out.stdout" | cut -d= -f2)
            errors=$(grep -o 'errors=[0-9]*' "$out.stdout" | cut -d= -f2)
            [ "$errors" = 0 ] || echo "  ($mode, think $think ms: $errors errors)" >&2
        done
        per=$(( (ir[10] - ir[40]) / (reqs[10] - reqs[40]) ))
        echo "$label  $mode ($path path)  requests ${reqs[40]} / ${reqs[10]}  instructions ${ir[40]} / ${ir[10]}  per request $per"
    done
done
