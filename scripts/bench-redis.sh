#!/usr/bin/env bash
# loadgen against the data stores' own benchmark tools, on this machine.
#
#   scripts/bench-datastores.sh                 # 3 interleaved rounds, 10 s each
#   RUNS=5 DUR=20 STORES=redis scripts/bench-datastores.sh
#
# Each store has its own section (a function) below; STORES picks them (default: redis).
#
# Redis: one redis-server pinned to SERVER_CPU (nothing saved); every client alone on
# CLIENT_CPU with 50 connections: redis-benchmark (-c 50, -P 1 and -P 16) and loadgen (a
# closed workload of 50 VUs, one connection each, --threads 1, a GET or SET step, or a
# pipeline of 16 of them), for GET and SET. Per run: requests the client counted, client CPU
# (user + system, /usr/bin/time), requests per client CPU-second, and the server's own ops/s
# (growth of INFO's total_commands_processed over the client's wall time). loadgen records
# every command in HDR histograms with latency from the intended start; redis-benchmark
# records no intended start. Rounds interleave the tools so drift hits both alike; medians and
# the ratio loadgen/redis-benchmark go to stdout and to results/bench-datastores-<date>.md.
#
# Environment: RUNS (3), DUR (10, loadgen's seconds), N1 (400000) and N16 (3000000)
# (redis-benchmark requests without and with pipelining), CONNS (50), PORT (6395),
# SERVER_CPU (0), CLIENT_CPU (1), CARGO_TARGET_DIR (<repo>/target), BUILD (1; 0 uses the
# release binary already built).
set -euo pipefail

RUNS=${RUNS:-3}
DUR=${DUR:-10}
N1=${N1:-400000}
N16=${N16:-3000000}
CONNS=${CONNS:-50}
PORT=${PORT:-6395}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
STORES=redis
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
LOADGEN="$CARGO_TARGET_DIR/release/loadgen"
WORK=$(mktemp -d)
REPORT="$ROOT/results/bench-datastores-$(date -u +%Y-%m-%d).md"
trap 'cleanup' EXIT
cleanup_hooks=()
cleanup() {
    local h
    for h in "${cleanup_hooks[@]}"; do $h || true; done
    rm -rf "$WORK"
}

need_apt() {
    local program=$1 package=$2
    command -v "$program" >/dev/null 2>&1 && return 0
    echo "installing $package with apt-get" >&2
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$package" >/dev/null
}
[ -x /usr/bin/time ] || need_apt /usr/bin/time time
if [ "${BUILD:-1}" != 0 ]; then
    echo "building loadgen (release)" >&2
    (cd "$ROOT" && cargo build --release -q -p loadgen)
fi

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

{
    echo "# bench-datastores $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); server on CPU $SERVER_CPU, each client alone on CPU $CLIENT_CPU; $RUNS rounds; \`scripts/bench-datastores.sh\` (RUNS=$RUNS DUR=$DUR N1=$N1 N16=$N16)."
    echo
} >"$WORK/report"

# ------------------------------------------------------------------ Redis
redis_cli() { redis-cli -p "$PORT" "$@"; }
redis_processed() { redis_cli info stats | tr -d '\r' | awk -F: '/^total_commands_processed:/ {print $2}'; }

redis_stop() { redis_cli shutdown nosave >/dev/null 2>&1 || true; }

# One loadgen scenario: 50 VUs, a GET or SET step (a pipeline of $2 when above 1).
redis_scenario() {
    local cmd=$1 pipeline=$2 one step
    case "$cmd" in
        get) one='["GET", "key:__rand_int__"]' ;;
        set) one='["SET", "key:__rand_int__", "xxx"]' ;;
    esac
    if [ "$pipeline" -gt 1 ]; then
        step="redis = { pipeline = [$(for _ in $(seq "$pipeline"); do printf '%s, ' "$one"; done | sed 's/, $//')] }"
    else
        step="redis = { cmd = $one }"
    fi
    cat <<TOML
name = "bench-redis"
target = "http://127.0.0.1:9"
duration = "${DUR}s"

[[workload]]
name = "redis"
model = "closed"
vus = $CONNS

  [workload.redis]
  url = "redis://127.0.0.1:$PORT"

  [[workload.step]]
  name = "$cmd"
  $step
TOML
}

# Runs one client; prints "requests cpu_seconds wall_seconds server_ops".
redis_run() {
    local tool=$1 cmd=$2 pipeline=$3 before after start end requests cpu
    before=$(redis_processed)
    start=$(date +%s.%N)
    case "$tool" in
        redis-benchmark)
            local n=$N1
            [ "$pipeline" -gt 1 ] && n=$N16
            /usr/bin/time -f '%U %S' -o "$WORK/time" taskset -c "$CLIENT_CPU" \
                redis-benchmark -p "$PORT" -c "$CONNS" -n "$n" -P "$pipeline" -t "$cmd" -q \
                >"$WORK/out" 2>&1
            requests=$n
            ;;
        loadgen)
            redis_scenario "$cmd" "$pipeline" >"$WORK/s.toml"
            rm -rf "$WORK/lg"
            /usr/bin/time -f '%U %S' -o "$WORK/time" taskset -c "$CLIENT_CPU" \
                "$LOADGEN" run "$WORK/s.toml" --threads 1 --quiet --out "$WORK/lg" \
                >"$WORK/out" 2>&1 || true
            requests=$(python3 -c "import json,sys; s=json.load(open('$WORK/lg/summary.json')); print(sum(c['count'] for c in s['custom'] if c['name']=='redis_commands'))")
            ;;
    esac
    end=$(date +%s.%N)
    after=$(redis_processed)
    cpu=$(awk '{print $1 + $2}' "$WORK/time")
    # The second INFO counts the first.
    echo "$requests $cpu $(echo "$end - $start" | bc -l) $((after - before - 1))"
}

redis_bench() {
    need_apt redis-server redis-server
    need_apt redis-benchmark redis-tools
    redis_stop
    taskset -c "$SERVER_CPU" redis-server --port "$PORT" --bind 127.0.0.1 --save '' \
        --appendonly no --dir "$WORK" --daemonize yes --logfile "$WORK/redis.log" >/dev/null
    cleanup_hooks+=(redis_stop)
    for _ in $(seq 50); do redis_cli ping >/dev/null 2>&1 && break; sleep 0.1; done
    redis_cli set key:__rand_int__ xxx >/dev/null
    local round cmd p tool line
    for round in $(seq "$RUNS"); do
        for p in 1 16; do
            for cmd in get set; do
                for tool in redis-benchmark loadgen; do
                    line=$(redis_run "$tool" "$cmd" "$p")
                    echo "$tool $cmd P$p $line" >>"$WORK/redis.raw"
                    echo "round $round: $tool $cmd P$p: $line (requests cpu_s wall_s server_ops)" >&2
                done
            done
        done
    done
    {
        echo "## Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'): GET/SET, $CONNS connections"
        echo
        echo "| test | tool | requests per client CPU-second | server ops/s | client CPU-s | loadgen / redis-benchmark (per CPU-s) |"
        echo "|---|---|---:|---:|---:|---:|"
        for p in 1 16; do
            for cmd in get set; do
                local rb lg
                for tool in redis-benchmark loadgen; do
                    local per ops cpu
                    per=$(awk -v t="$tool" -v c="$cmd" -v p="P$p" '$1==t && $2==c && $3==p {print $4/$5}' "$WORK/redis.raw" | median)
                    ops=$(awk -v t="$tool" -v c="$cmd" -v p="P$p" '$1==t && $2==c && $3==p {print $7/$6}' "$WORK/redis.raw" | median)
                    cpu=$(awk -v t="$tool" -v c="$cmd" -v p="P$p" '$1==t && $2==c && $3==p {print $5}' "$WORK/redis.raw" | median)
                    [ "$tool" = redis-benchmark ] && rb=$per || lg=$per
                    local ratio=""
                    [ "$tool" = loadgen ] && ratio=$(echo "scale=2; $lg / $rb" | bc -l)
                    printf '| %s pipeline %s | %s | %.0f | %.0f | %.2f | %s |\n' \
                        "${cmd^^}" "$p" "$tool" "$per" "$ops" "$cpu" "$ratio"
                done
            done
        done
        echo
        echo "Raw runs (tool, command, pipeline, requests, client CPU-s, wall s, server commands):"
        echo
        echo '```text'
        cat "$WORK/redis.raw"
        echo '```'
        echo
    } >>"$WORK/report"
}

# ------------------------------------------------------------------ run
for store in $STORES; do "${store}_bench"; done
mkdir -p "$(dirname "$REPORT")"
cp "$WORK/report" "$REPORT"
cat "$REPORT"
echo "written to $REPORT" >&2
