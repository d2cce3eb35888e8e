#!/usr/bin/env bash
# How loadgen scales with worker threads (`--threads N`), closed model, HTTP/1.1, against nginx.
#
#   scripts/bench-threads.sh                     # 5 interleaved rounds of 10 s
#   RUNS=3 DUR=5 scripts/bench-threads.sh
#
# Two layouts, chosen by the machine:
#
# * split (4 CPUs or more): the generator gets the lower half of the CPUs, N threads pinned to
#   CPUs 0..N-1 for N = 1, 2, 4, … up to half the CPUs; nginx gets the upper half, one worker
#   per CPU, so the target is not the bottleneck and the curve is the generator's.
# * shared (2–3 CPUs): the generator and nginx (one worker per CPU) share every CPU, N = 1 and
#   2. Throughput then measures the machine, not loadgen; what carries over to a bigger machine
#   is the cost per request: requests per generator CPU-second should not fall as threads are
#   added (each thread has its own runtime, connections and histograms; nothing is shared per
#   request).
#
# Per N and tool: requests/s (nginx's stub_status count / DUR), generator CPU (user + system,
# from /usr/bin/time), requests per generator CPU-second, speed-up and that efficiency against
# N = 1. Connections: CONNS (50) per thread. The peers run beside loadgen with the same threads
# and connections (`wrk -t N`, `h2load --h1 -t N`), when installed (scripts/bench-peers.sh
# installs them). Medians of RUNS rounds, tools and N interleaved within each round.
# Writes results/bench-threads-<date>.md. Installs nginx from apt when it is missing.
# Environment: RUNS (5), DUR (10), CONNS (50), TOOLS ("loadgen wrk h2load"), PORT (8090),
# COOLDOWN (2), CARGO_TARGET_DIR.
set -euo pipefail

RUNS=${RUNS:-5}
DUR=${DUR:-10}
CONNS=${CONNS:-50}
PORT=${PORT:-8090}
COOLDOWN=${COOLDOWN:-2}
TOOLS=${TOOLS:-"loadgen wrk h2load"}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ] || [ ! -x /usr/bin/time ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx time >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
cargo build --release -q -p loadgen --manifest-path "$ROOT/Cargo.toml"
LOADGEN=$CARGO_TARGET_DIR/release/loadgen

CPUS=$(nproc)
if [ "$CPUS" -ge 4 ]; then
    LAYOUT=split
    HALF=$((CPUS / 2))
    NGINX_CPUS="$HALF-$((CPUS - 1))"
    NGINX_WORKERS=$HALF
    THREADS=""
    n=1
    while [ "$n" -le "$HALF" ]; do THREADS="$THREADS $n"; n=$((n * 2)); done
else
    LAYOUT=shared
    NGINX_CPUS="0-$((CPUS - 1))"
    NGINX_WORKERS=$CPUS
    THREADS="1 2"
fi
gen_cpus() { if [ "$LAYOUT" = split ]; then echo "0-$(($1 - 1))"; else echo "0-$((CPUS - 1))"; fi; }

WORK=$(mktemp -d /tmp/bench-threads.XXXXXX)
NGINX_PID=""
trap stop_nginx EXIT INT TERM
# shellcheck source=lib/nginx.sh
. "$(dirname "$0")/lib/nginx.sh"
start_nginx "$WORK" "$PORT" "$NGINX_CPUS" "$NGINX" "$NGINX_WORKERS" || exit 1

# shellcheck source=lib/stats.sh
. "$(dirname "$0")/lib/stats.sh"

# The command line of TOOL with N threads and CONNS*N connections.
command_of() {
    local url="http://127.0.0.1:$PORT/" c=$((CONNS * $2))
    case $1 in
        loadgen) echo "$LOADGEN run --url $url --vus $c --duration ${DUR}s --threads $2 --quiet --out $WORK/lg" ;;
        wrk) echo "wrk -t$2 -c$c -d${DUR}s $url" ;;
        h2load) echo "h2load --h1 -t$2 -c$c -D $DUR $url" ;;
    esac
}
present=""
for tool in $TOOLS; do
    [ "$tool" = loadgen ] || command -v "$tool" >/dev/null || { echo "skipping $tool: not installed" >&2; continue; }
    present+=" $tool"
done
TOOLS=${present# }

declare -A RPS EFF
echo "$LAYOUT layout: generator on $(gen_cpus 1)…, nginx ($NGINX_WORKERS workers) on $NGINX_CPUS; threads:$THREADS; tools: $TOOLS" >&2
for round in $(seq "$RUNS"); do
    for n in $THREADS; do
        for tool in $TOOLS; do
            sleep "$COOLDOWN"
            rm -rf "$WORK/lg"
            before=$(served)
            # shellcheck disable=SC2046
            /usr/bin/time -f '%U %S' -o "$WORK/time" taskset -c "$(gen_cpus "$n")" $(command_of "$tool" "$n") >"$WORK/out" 2>&1 || true
            after=$(served)
            read -r rps eff < <(awk -v n=$((after - before - 1)) -v d="$DUR" \
                '{ printf "%.0f %.0f\n", n / d, n / ($1 + $2) }' "$WORK/time")
            printf 'round %d threads %2d %-8s: %s req/s, %s req per CPU-s\n' "$round" "$n" "$tool" "$rps" "$eff" >&2
            RPS[$tool:$n]="${RPS[$tool:$n]:-} $rps"
            EFF[$tool:$n]="${EFF[$tool:$n]:-} $eff"
        done
    done
done

DATE=$(date -u +%Y-%m-%d)
mkdir -p "$ROOT/results"
REPORT="$ROOT/results/bench-threads-$DATE.md"
first=$(echo "$THREADS" | awk '{ print $1 }')
{
    echo "# loadgen thread scaling, $DATE"
    echo
    echo "Machine: $CPUS CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')). Layout: **$LAYOUT** —"
    if [ "$LAYOUT" = split ]; then
        echo "generator threads pinned to CPUs 0..N-1, nginx ($NGINX_WORKERS workers) on CPUs $NGINX_CPUS."
    else
        echo "generator and nginx ($NGINX_WORKERS workers) share all $CPUS CPUs: throughput measures the machine; the cost per request is what carries over."
    fi
    echo "Closed loop, $CONNS connections per thread, HTTP/1.1 keep-alive, medians of $RUNS rounds of ${DUR}s."
    echo
    echo "| threads | tool | requests/s | speed-up | requests per generator CPU-s | efficiency vs 1 thread | loadgen / tool (per CPU-s) |"
    echo "|---:|---|---:|---:|---:|---:|---:|"
    for n in $THREADS; do
        lg=$(echo "${EFF[loadgen:$n]:-0}" | median)
        for tool in $TOOLS; do
            r=$(echo "${RPS[$tool:$n]}" | median)
            e=$(echo "${EFF[$tool:$n]}" | median)
            r1=$(echo "${RPS[$tool:$first]}" | median)
            e1=$(echo "${EFF[$tool:$first]}" | median)
            echo "| $n | $tool | $r | $(awk -v a="$r" -v b="$r1" 'BEGIN { printf "%.2fx", a / b }') | $e | $(awk -v a="$e" -v b="$e1" 'BEGIN { printf "%.0f%%", 100 * a / b }') | $(awk -v a="$lg" -v b="$e" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }') |"
        done
    done
    echo
    echo "Reproduce: \`RUNS=$RUNS DUR=$DUR TOOLS=\"$TOOLS\" scripts/bench-threads.sh\`"
} | tee "$REPORT"
echo "written: $REPORT (raw: $WORK)" >&2
