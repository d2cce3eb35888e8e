#!/usr/bin/env bash
# loadgen against the data stores' own benchmark clients, in one run, on this machine.
#
#   scripts/bench-datastores.sh                  # every store, 20 s per measurement
#   DUR=10 scripts/bench-datastores.sh postgres
#
# Server pinned to SERVER_CPU, client alone on CLIENT_CPU (taskset), the same concurrency for
# both clients. The server's own counters are the ruler for throughput; client CPU (user +
# system) comes from /usr/bin/time. Results go to stdout and results/bench-datastores-<date>.md.
# The machine is shared and noisy: one run, differences under 10% are noise.
#
# PostgreSQL: pgbench's select-only workload (`-S -M prepared`) and its TPC-B-like write mix,
# scale SCALE (10), CONNS (50) connections, against a throwaway server (synchronous_commit off,
# so the mix is CPU-bound, not fsync-bound); loadgen runs the same statements as closed-model
# VUs (one connection each), then an open-model run at OPEN_RATE (5000/s) queries per second:
# schedule lag, p99, and counts equal to pg_stat_database.xact_commit.
#
# Environment: DUR (20), CONNS (50), SCALE (10), OPEN_RATE (5000), SERVER_CPU (0), CLIENT_CPU (1),
# PG_PORT (55433), CARGO_TARGET_DIR (<repo>/target).
set -euo pipefail

DUR=${DUR:-20}
CONNS=${CONNS:-50}
SCALE=${SCALE:-10}
OPEN_RATE=${OPEN_RATE:-5000}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
STORES=(postgres)
WORK=$(mktemp -d /tmp/loadgen-bench-ds.XXXXXX)
chmod 755 "$WORK"
REPORT="$ROOT/results/bench-datastores-$(date -u +%Y-%m-%d).md"
LOADGEN="$CARGO_TARGET_DIR/release/loadgen"
CLEANUP=()
cleanup() {
    local c
    for c in "${CLEANUP[@]}"; do eval "$c" || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
(cd "$ROOT" && cargo build --release -q -p loadgen)

# Runs "$@" on CLIENT_CPU; prints "user_s system_s" of it to fd 3's file $1.
timed() {
    local out=$1
    shift
    /usr/bin/time -f "%U %S" -o "$out" taskset -c "$CLIENT_CPU" "$@"
}
cpu_s() { awk '{ printf "%.3f", $1 + $2 }' "$1"; }

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

{
    echo "# Data-store benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "Server on CPU $SERVER_CPU, client on CPU $CLIENT_CPU (taskset); $(nproc) CPUs, shared machine; DUR=$DUR s."
    echo
} >"$WORK/report.md"

# --- PostgreSQL -----------------------------------------------------------------------------
postgres_bench() {
    local bin port url db
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -x "$bin/initdb" ] || { echo "bench-datastores.sh: PostgreSQL missing (apt-get install postgresql)" >&2; return 1; }
    port=${PG_PORT:-55433}
    db="$WORK/pg"
    mkdir -p "$db"
    [ "$(id -u)" = 0 ] && chown postgres "$db"
    as_owner "$bin/initdb" -D "$db/data" -U bench --auth=trust -N -E UTF8 --locale=C >/dev/null
    as_owner taskset -c "$SERVER_CPU" "$bin/pg_ctl" -D "$db/data" -l "$db/log" -w start \
        -o "-p $port -k $db -c listen_addresses=127.0.0.1 -c max_connections=$((CONNS + 20)) \
            -c shared_buffers=256MB -c synchronous_commit=off -c fsync=off" >/dev/null
    CLEANUP+=("as_owner '$bin/pg_ctl' -D '$db/data' -m immediate -w stop >/dev/null")
    # The load goes to database `bench`; the counters are read from `postgres`, so reading
    # them adds nothing to what they count.
    url="postgres://bench@127.0.0.1:$port/bench?sslmode=disable"
    psql() { command psql -h 127.0.0.1 -p "$port" -U bench -d postgres -tAq "$@"; }
    psql -c "CREATE DATABASE bench"
    pgbench -h 127.0.0.1 -p "$port" -U bench -i -s "$SCALE" -q bench >/dev/null 2>&1
    # The clients' backends flush their statistics as they exit: wait for them first.
    commits() {
        local i
        for i in $(seq 100); do
            [ "$(psql -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")" = 0 ] && break
            sleep 0.1
        done
        psql -c "SELECT xact_commit FROM pg_stat_database WHERE datname = 'bench'"
    }
    local accounts=$((100000 * SCALE)) tellers=$((10 * SCALE)) branches=$SCALE
    cat >"$WORK/pg-select.toml" <<TOML
name = "bench-pg-select"
duration = "${DUR}s"
[[workload]]
name = "select"
model = "closed"
vus = $CONNS
  [workload.postgres]
  url = "$url"
  [[workload.step]]
  name = "select"
  sql = { query = "SELECT abalance FROM pgbench_accounts WHERE aid = \$1", params = ["{{random_int(1,$accounts)}}"] }
TOML
    cat >"$WORK/pg-tpcb.toml" <<TOML
name = "bench-pg-tpcb"
duration = "${DUR}s"
[[workload]]
name = "tpcb"
model = "closed"
vus = $CONNS
  [workload.postgres]
  url = "$url"
  [[workload.step]]
  name = "tpcb"
  transaction = [
    { query = "UPDATE pgbench_accounts SET abalance = abalance + \$1 WHERE aid = \$2", params = ["{{random_int(-5000,5000)}}", "{{random_int(1,$accounts)}}"] },
    { query = "SELECT abalance FROM pgbench_accounts WHERE aid = \$1", params = ["{{random_int(1,$accounts)}}"] },
    { query = "UPDATE pgbench_tellers SET tbalance = tbalance + \$1 WHERE tid = \$2", params = ["{{random_int(-5000,5000)}}", "{{random_int(1,$tellers)}}"] },
    { query = "UPDATE pgbench_branches SET bbalance = bbalance + \$1 WHERE bid = \$2", params = ["{{random_int(-5000,5000)}}", "{{random_int(1,$branches)}}"] },
    { query = "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (\$1, \$2, \$3, \$4, CURRENT_TIMESTAMP)", params = ["{{random_int(1,$tellers)}}", "{{random_int(1,$branches)}}", "{{random_int(1,$accounts)}}", "{{random_int(-5000,5000)}}"] },
  ]
TOML
    cat >"$WORK/pg-open.toml" <<TOML
name = "bench-pg-open"
duration = "${DUR}s"
[[workload]]
name = "select"
model = "open"
rate = "$OPEN_RATE/s"
max_vus = $CONNS
pre_allocated_vus = $CONNS
  [workload.postgres]
  url = "$url"
  [[workload.step]]
  name = "select"
  sql = { query = "SELECT abalance FROM pgbench_accounts WHERE aid = \$1", params = ["{{random_int(1,$accounts)}}"] }
TOML
    local rows=() name mode before after tx cpu tps
    for mode in select tpcb; do
        local flags=(-M prepared -c "$CONNS" -j 1 -T "$DUR" -n)
        [ "$mode" = select ] && flags+=(-S)
        before=$(commits)
        timed "$WORK/cpu" pgbench -h 127.0.0.1 -p "$port" -U bench "${flags[@]}" bench >"$WORK/pgbench-$mode.out" 2>&1
        after=$(commits)
        tx=$(awk '/number of transactions actually processed/ { print $NF }' "$WORK/pgbench-$mode.out" | cut -d/ -f1)
        tps=$(awk '/^tps = / { printf "%.0f", $3 }' "$WORK/pgbench-$mode.out")
        cpu=$(cpu_s "$WORK/cpu")
        rows+=("| $mode | pgbench | $tps | $tx | $((after - before)) | $(awk -v c="$cpu" -v t="$tx" 'BEGIN { printf "%.1f", c * 1e6 / t }') |")
        before=$(commits)
        timed "$WORK/cpu" "$LOADGEN" run "$WORK/pg-$mode.toml" --out "$WORK/out-$mode" --quiet >"$WORK/loadgen-$mode.out" 2>&1 || true
        after=$(commits)
        tx=$(python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(sum(st['count'] for st in s['steps']))" "$WORK/out-$mode/summary.json")
        tps=$(python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(round(sum(st['count'] for st in s['steps']) / s['elapsed_seconds']))" "$WORK/out-$mode/summary.json")
        cpu=$(cpu_s "$WORK/cpu")
        rows+=("| $mode | loadgen | $tps | $tx | $((after - before)) | $(awk -v c="$cpu" -v t="$tx" 'BEGIN { printf "%.1f", c * 1e6 / t }') |")
    done
    before=$(commits)
    timed "$WORK/cpu" "$LOADGEN" run "$WORK/pg-open.toml" --out "$WORK/out-open" --quiet >"$WORK/loadgen-open.out" 2>&1 || true
    after=$(commits)
    local open
    open=$(python3 - "$WORK/out-open/summary.json" "$((after - before))" "$(cpu_s "$WORK/cpu")" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
st = s["steps"][0]
n = st["count"]
lag = s["workloads"][0]["schedule_lag"]
print(f"| {n} | {sys.argv[2]} | {n / s['elapsed_seconds']:.0f}/s | {st['latency']['p99']:.2f} ms | "
      f"{lag['p99']:.2f} ms | {float(sys.argv[3]) * 1e6 / max(n, 1):.1f} µs |")
PY
)
    {
        echo "## PostgreSQL $("$bin/postgres" --version | awk '{ print $3 }'), scale $SCALE, $CONNS connections"
        echo
        echo "| workload | client | transactions/s | transactions | server xact_commit delta | client CPU µs / transaction |"
        echo "|---|---|---|---|---|---|"
        printf '%s\n' "${rows[@]}"
        echo
        echo "Open model, $OPEN_RATE queries/s (select-only), $CONNS pre-allocated VUs:"
        echo
        echo "| queries | server xact_commit delta | achieved | p99 latency | schedule lag p99 | client CPU / query |"
        echo "|---|---|---|---|---|---|"
        echo "$open"
        echo
        echo "The xact_commit delta also counts each connection's start-up and each statement prepared"
        echo "outside a transaction (one per connection for these workloads)."
        echo
    } >>"$WORK/report.md"
}

for s in "${STORES[@]}"; do "${s}_bench"; done
mkdir -p "$ROOT/results"
cp "$WORK/report.md" "$REPORT"
cat "$REPORT"
echo "written: $REPORT" >&2
