#!/usr/bin/env bash
# Latency accuracy: how much each generator adds to what it reports. A target that answers
# every request after a known fixed delay (the demo target, `--latency 20ms`, one write per
# answer) on one CPU; each generator alone on the other CPU, CONNS connections in a closed
# loop. Reported p50 / p99 minus the delay is the generator's own overhead plus the target's
# timer jitter — the same jitter for every tool, so the differences between tools are theirs.
#
#   scripts/bench-accuracy.sh                    # 3 interleaved rounds of 10 s, 10 connections
#   RUNS=5 DUR=20 DELAY_MS=20 scripts/bench-accuracy.sh
#
# Tools: loadgen (summary.json), wrk (`--latency`), oha (`--output-format json`) when installed
# (scripts/bench-peers.sh installs them). Medians over rounds go to stdout and to
# results/bench-accuracy-<date>.md.
set -euo pipefail
RUNS=${RUNS:-3}
DUR=${DUR:-10}
CONNS=${CONNS:-10}
DELAY_MS=${DELAY_MS:-20}
PORT=${PORT:-18095}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release -q -p loadgen --manifest-path "$ROOT/Cargo.toml"
BIN=$CARGO_TARGET_DIR/release/loadgen
WORK=$(mktemp -d /tmp/bench-accuracy.XXXXXX)
URL="http://127.0.0.1:$PORT/api/payments"

taskset -c "$SERVER_CPU" "$BIN" target --listen "127.0.0.1:$PORT" --latency "${DELAY_MS}ms" --threads 1 >"$WORK/target.log" 2>&1 &
TARGET_PID=$!
trap 'kill $TARGET_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

TOOLS="loadgen"
command -v wrk >/dev/null && TOOLS+=" wrk"
command -v oha >/dev/null && TOOLS+=" oha"

# Prints "p50_ms p99_ms" as TOOL reports them.
measure() {
    case $1 in
        loadgen)
            rm -rf "$WORK/lg"
            taskset -c "$CLIENT_CPU" "$BIN" run --url "$URL" --vus "$CONNS" --duration "${DUR}s" --threads 1 --quiet --out "$WORK/lg" >/dev/null 2>&1 || true
            python3 -c "import json; l = json.load(open('$WORK/lg/summary.json'))['steps'][0]['latency']; print(l['p50'], l['p99'])" ;;
        wrk)
            taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${DUR}s" --latency "$URL" >"$WORK/wrk.out" 2>&1 || true
            # "50%   20.31ms" lines of the latency distribution; units us/ms/s.
            awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000 }
                 $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) } END { print p50, p99 }' "$WORK/wrk.out" ;;
        oha)
            taskset -c "$CLIENT_CPU" oha --no-tui --output-format json -z "${DUR}s" -c "$CONNS" "$URL" >"$WORK/oha.json" 2>/dev/null || true
            python3 -c "import json; p = json.load(open('$WORK/oha.json'))['latencyPercentiles']; print(p['p50'] * 1000, p['p99'] * 1000)" ;;
    esac
}

declare -A P50 P99
for round in $(seq "$RUNS"); do
    for tool in $TOOLS; do
        sleep 1
        read -r p50 p99 < <(measure "$tool")
        printf 'round %d %-8s p50=%sms p99=%sms\n' "$round" "$tool" "$p50" "$p99" >&2
        P50[$tool]="${P50[$tool]:-} $p50"
        P99[$tool]="${P99[$tool]:-} $p99"
    done
done

# shellcheck source=lib/stats.sh
. "$(dirname "$0")/lib/stats.sh"
DATE=$(date -u +%Y-%m-%d)
mkdir -p "$ROOT/results"
REPORT="$ROOT/results/bench-accuracy-$DATE.md"
{
    echo "# Latency accuracy, $DATE"
    echo
    echo "Target: \`loadgen target --latency ${DELAY_MS}ms\` on CPU $SERVER_CPU (tokio's timer: each answer waits ${DELAY_MS}–$((DELAY_MS + 1)) ms); each tool alone on CPU $CLIENT_CPU, $CONNS connections, closed loop, $RUNS interleaved rounds of ${DUR}s. Reported minus the delay (medians over rounds):"
    echo
    echo "| tool | p50 − delay (ms) | p99 − delay (ms) | p99 per round (ms) |"
    echo "|---|---:|---:|---|"
    for tool in $TOOLS; do
        m50=$(echo "${P50[$tool]}" | median)
        m99=$(echo "${P99[$tool]}" | median)
        echo "| $tool | $(awk -v a="$m50" -v d="$DELAY_MS" 'BEGIN { printf "%.3f", a - d }') | $(awk -v a="$m99" -v d="$DELAY_MS" 'BEGIN { printf "%.3f", a - d }') | ${P99[$tool]# } |"
    done
    echo
    echo "Reproduce: \`RUNS=$RUNS DUR=$DUR CONNS=$CONNS DELAY_MS=$DELAY_MS scripts/bench-accuracy.sh\`"
} | tee "$REPORT"
echo "written: $REPORT (raw: $WORK)" >&2
