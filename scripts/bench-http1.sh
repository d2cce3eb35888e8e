#!/usr/bin/env bash
# HTTP/1.1 client efficiency: requests per client CPU-second of wrk, loadgen's fast path and
# loadgen's hyper path against one nginx worker, keep-alive, 50 connections.
#
#   scripts/bench-http1.sh                 # 5 interleaved rounds of 10 s each
#   RUNS=3 DUR=5 scripts/bench-http1.sh    # shorter
#
# nginx runs on CPU 0 (taskset -c 0, one worker, `return 200 "ok"`, no access log); each
# client runs alone on CPU 1. Requests come from the client's own count (checked against
# nginx's stub_status delta); client CPU (user + system) from bash's `time` on the client
# process. The table goes to stdout and to results/bench-http1-<date>.md.
#
# Environment: RUNS (5), DUR (seconds, 10), CONNS (50), PORT (8089),
# CARGO_TARGET_DIR (/tmp/target-http), NGINX_CPU (0), CLIENT_CPU (1).
set -euo pipefail

RUNS=${RUNS:-5}
DUR=${DUR:-10}
CONNS=${CONNS:-50}
PORT=${PORT:-8089}
NGINX_CPU=${NGINX_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/target-http}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

need() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
if ! need wrk || ! need nginx; then
    echo "installing wrk and nginx (apt-get)" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk nginx >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

echo "building the hammer example (release)" >&2
cargo build --release -q -p loadgen-http --example hammer --manifest-path "$ROOT/Cargo.toml"
HAMMER="$CARGO_TARGET_DIR/release/examples/hammer"

WORK=$(mktemp -d /tmp/bench-http1.XXXXXX)
NGINX_PID=""
cleanup() {
    stop_nginx
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# shellcheck source=lib/nginx.sh
. "$(dirname "$0")/lib/nginx.sh"
start_nginx "$WORK" "$PORT" "$NGINX_CPU" "$NGINX" || exit 1

# Runs a client pinned to the client CPU; prints "requests cpu_seconds nginx_requests".
measure() {
    local tool=$1 out="$WORK/out" tm="$WORK/time" before after requests cpu
    before=$(served)
    case $tool in
        wrk) cmd=(wrk -t1 -c"$CONNS" -d"${DUR}s" "http://127.0.0.1:$PORT/") ;;
        fast) cmd=("$HAMMER" --url "http://127.0.0.1:$PORT/" --vus "$CONNS" --duration "$DUR" --threads 1) ;;
        hyper) cmd=("$HAMMER" --url "http://127.0.0.1:$PORT/" --vus "$CONNS" --duration "$DUR" --threads 1 --hyper) ;;
    esac
    # bash's `time` reports the child's user and system CPU.
    { TIMEFORMAT='%U %S'; time taskset -c "$CLIENT_CPU" "${cmd[@]}" >"$out" 2>"$WORK/err"; } 2>"$tm"
    after=$(served)
    case $tool in
        wrk) requests=$(awk '/requests in/ { print $1 }' "$out") ;;
        *) requests=$(tr ' ' '\n' <"$out" | awk -F= '$1 == "requests" { print $2 }') ;;
    esac
    cpu=$(awk '{ printf "%.3f", $1 + $2 }' "$tm")
    echo "$requests $cpu $((after - before - 1))"
}

declare -A RATES PAIRED
TOOLS=(wrk fast hyper)
echo "nginx on CPU $NGINX_CPU, clients on CPU $CLIENT_CPU: $RUNS rounds x ${DUR}s, $CONNS connections" >&2
for round in $(seq "$RUNS"); do
    for tool in "${TOOLS[@]}"; do
        read -r requests cpu nginx_requests < <(measure "$tool")
        rate=$(awk -v r="$requests" -v c="$cpu" 'BEGIN { printf "%.0f", r / c }')
        printf 'round %d %-5s requests=%s (nginx %s) cpu=%ss -> %s req/cpu-s\n' \
            "$round" "$tool" "$requests" "$nginx_requests" "$cpu" "$rate" >&2
        RATES[$tool]="${RATES[$tool]:-} $rate"
        [ "$tool" = wrk ] && WRK_RATE=$rate
        PAIRED[$tool]="${PAIRED[$tool]:-} $(awk -v a="$rate" -v b="$WRK_RATE" 'BEGIN { printf "%.3f", a / b }')"
    done
done

# shellcheck source=lib/stats.sh
. "$(dirname "$0")/lib/stats.sh"
WRK_MED=$(echo "${RATES[wrk]}" | median)
DATE=$(date +%Y-%m-%d)
mkdir -p "$ROOT/results"
REPORT="$ROOT/results/bench-http1-$DATE.md"
{
    echo "# HTTP/1.1 client efficiency, $DATE"
    echo
    echo "nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') on CPU $NGINX_CPU (one worker, \`return 200 \"ok\"\`); each client alone on CPU $CLIENT_CPU;"
    echo "$CONNS keep-alive connections, $RUNS interleaved rounds of ${DUR}s; CPU = user + system of the client process."
    echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
    echo
    echo "| client | median requests per CPU-second | vs wrk (medians) | vs wrk (median of per-round ratios) | rounds |"
    echo "|---|---:|---:|---:|---|"
    for tool in "${TOOLS[@]}"; do
        med=$(echo "${RATES[$tool]}" | median)
        ratio=$(awk -v a="$med" -v b="$WRK_MED" 'BEGIN { printf "%.2fx", a / b }')
        paired=$(echo "${PAIRED[$tool]}" | median | awk '{ printf "%.2fx", $1 }')
        case $tool in
            wrk) name="wrk -t1 -c$CONNS" ;;
            fast) name="loadgen fast path (hammer)" ;;
            hyper) name="loadgen hyper path (hammer --hyper)" ;;
        esac
        echo "| $name | $(printf '%.0f' "$med") | $ratio | $paired |${RATES[$tool]} |"
    done
    echo
    echo "Reproduce: \`RUNS=$RUNS DUR=$DUR scripts/bench-http1.sh\`"
} | tee "$REPORT"
echo "written: $REPORT" >&2
