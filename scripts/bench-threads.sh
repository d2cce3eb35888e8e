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
# Per N: requests/s (nginx's stub_status count / DUR), generator CPU (user + system, from
# /usr/bin/time), requests per generator CPU-second, speed-up and that efficiency against
# N = 1. VUs: CONNS (50) per thread. Medians of RUNS rounds, N interleaved within each round.
# Writes results/bench-threads-<date>.md. Installs nginx from apt when it is missing.
# Environment: RUNS (5), DUR (10), CONNS (50), PORT (8090), COOLDOWN (2), CARGO_TARGET_DIR.
set -euo pipefail

RUNS=${RUNS:-5}
DUR=${DUR:-10}
CONNS=${CONNS:-50}
PORT=${PORT:-8090}
COOLDOWN=${COOLDOWN:-2}
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

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A RPS EFF
echo "$LAYOUT layout: generator on $(gen_cpus 1)…, nginx ($NGINX_WORKERS workers) on $NGINX_CPUS; threads:$THREADS" >&2
for round in $(seq "$RUNS"); do
    for n in $THREADS; do
        sleep "$COOLDOWN"
        before=$(served)
        /usr/bin/time -f '%U %S' -o "$WORK/time" taskset -c "$(gen_cpus "$n")" "$LOADGEN" run \
            --url "http://127.0.0.1:$PORT/" --vus $((CONNS * n)) --duration "${DUR}s" \
            --threads "$n" --quiet --out "$WORK/lg" >"$WORK/out" 2>&1 || true
        after=$(served)
        read -r rps eff < <(awk -v n=$((after - before - 1)) -v d="$DUR" \
            '{ printf "%.0f %.0f\n", n / d, n / ($1 + $2) }' "$WORK/time")
        printf 'round %d threads %2d: %s req/s, %s req per CPU-s\n' "$round" "$n" "$rps" "$eff" >&2
        RPS[$n]="${RPS[$n]:-} $rps"
        EFF[$n]="${EFF[$n]:-} $eff"
    done
done

DATE=$(date -u +%Y-%m-%d)
mkdir -p "$ROOT/results"
REPORT="$ROOT/results/bench-threads-$DATE.md"
first=$(echo "$THREADS" | awk '{ print $1 }')
R1=$(echo "${RPS[$first]}" | median)
E1=$(echo "${EFF[$first]}" | median)
{
    echo "# loadgen thread scaling, $DATE"
    echo
    echo "Machine: $CPUS CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')). Layout: **$LAYOUT** —"
    if [ "$LAYOUT" = split ]; then
        echo "generator threads pinned to CPUs 0..N-1, nginx ($NGINX_WORKERS workers) on CPUs $NGINX_CPUS."
    else
        echo "generator and nginx ($NGINX_WORKERS workers) share all $CPUS CPUs: throughput measures the machine; the cost per request is what carries over."
    fi
    echo "Closed model, $CONNS VUs per thread, HTTP/1.1 keep-alive, medians of $RUNS rounds of ${DUR}s."
    echo
    echo "| threads | requests/s | speed-up | requests per generator CPU-s | efficiency vs 1 thread |"
    echo "|---:|---:|---:|---:|---:|"
    for n in $THREADS; do
        r=$(echo "${RPS[$n]}" | median)
        e=$(echo "${EFF[$n]}" | median)
        echo "| $n | $r | $(awk -v a="$r" -v b="$R1" 'BEGIN { printf "%.2fx", a / b }') | $e | $(awk -v a="$e" -v b="$E1" 'BEGIN { printf "%.0f%%", 100 * a / b }') |"
    done
    echo
    echo "Reproduce: \`RUNS=$RUNS DUR=$DUR scripts/bench-threads.sh\`"
} | tee "$REPORT"
echo "written: $REPORT (raw: $WORK)" >&2
