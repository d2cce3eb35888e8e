#!/usr/bin/env bash
# loadgen against pgbench on one throwaway PostgreSQL server, on this machine.
#
#   scripts/bench-postgres.sh                    # 3 interleaved rounds, 20 s per measurement
#   ROUNDS=5 DUR=10 scripts/bench-postgres.sh
#
# Server pinned to SERVER_CPU, client alone on CLIENT_CPU (taskset), the same concurrency for
# both clients. The server's own counters are the ruler for throughput; client CPU (user +
# system) comes from /usr/bin/time, the server's from the postmaster's reaped children. Each
# round runs pgbench then loadgen on each workload, so a noisy neighbour hits both alike; the
# report gives medians and ranges. Results go to stdout and results/bench-postgres-<date>.md.
#
# PostgreSQL: pgbench's select-only workload (`-S -M prepared`) and its TPC-B-like write mix,
# scale SCALE (10), CONNS (50) connections, against a throwaway server (synchronous_commit off,
# so the mix is CPU-bound, not fsync-bound); loadgen runs the same statements as closed-model
# VUs (one connection each), then an open-model run at OPEN_RATE (5000/s) queries per second:
# schedule lag, p99, and counts equal to pg_stat_database.xact_commit.
#
# Environment: DUR (20), ROUNDS (3), CONNS (50), SCALE (10), OPEN_RATE (5000), SERVER_CPU (0),
# CLIENT_CPU (1), PG_PORT (55433), CARGO_TARGET_DIR (<repo>/target), LOADGEN (a loadgen binary
# to measure instead of building this checkout's).
set -euo pipefail

DUR=${DUR:-20}
CONNS=${CONNS:-50}
SCALE=${SCALE:-10}
OPEN_RATE=${OPEN_RATE:-5000}
ROUNDS=${ROUNDS:-3}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
STORES=(postgres)
WORK=$(mktemp -d /tmp/loadgen-bench-ds.XXXXXX)
chmod 755 "$WORK"
REPORT="$ROOT/results/bench-postgres-$(date -u +%Y-%m-%d).md"
LOADGEN_GIVEN=${LOADGEN:-}
LOADGEN=${LOADGEN:-$CARGO_TARGET_DIR/release/loadgen}
CLEANUP=()
cleanup() {
    local c
    for c in "${CLEANUP[@]}"; do eval "$c" || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
[ -n "${LOADGEN_GIVEN:-}" ] || (cd "$ROOT" && cargo build --release -q -p loadgen)

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
    echo "# PostgreSQL benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "Server on CPU $SERVER_CPU, client on CPU $CLIENT_CPU (taskset); $(nproc) CPUs, shared machine; DUR=$DUR s."
    echo
} >"$WORK/report.md"

# --- PostgreSQL -----------------------------------------------------------------------------
postgres_bench() {
    local bin port url db
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -x "$bin/initdb" ] || { echo "bench-postgres.sh: PostgreSQL missing (apt-get install postgresql)" >&2; return 1; }
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
    # Server CPU seconds so far: the postmaster's own and its reaped children's (every
    # backend of a finished run), read once the clients' backends have exited.
    server_cpu() {
        commits >/dev/null
        awk -v t="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15 + $16 + $17) / t }' \
            "/proc/$(head -1 "$db/data/postmaster.pid")/stat"
    }
    # One measurement: appends "mode tool round tps steady_tps transactions xact_delta
    # client_cpu_s server_cpu_s" to $WORK/raw. tps is the tool's own figure; steady_tps the
    # median of its per-second rates without the first and last second (connecting 50
    # backends on a busy CPU falls in the first).
    measure() {
        local mode=$1 tool=$2 round=$3 before after s0 s1 tx tps steady cpu
        before=$(commits)
        s0=$(server_cpu)
        if [ "$tool" = pgbench ]; then
            local flags=(-M prepared -c "$CONNS" -j 1 -T "$DUR" -n -P 1)
            [ "$mode" = select ] && flags+=(-S)
            timed "$WORK/cpu" pgbench -h 127.0.0.1 -p "$port" -U bench "${flags[@]}" bench >"$WORK/pgbench.out" 2>&1
            tx=$(awk '/number of transactions actually processed/ { print $NF }' "$WORK/pgbench.out" | cut -d/ -f1)
            tps=$(awk '/^tps = / { printf "%.0f", $3 }' "$WORK/pgbench.out")
            steady=$(awk '/^progress: / { print $4 }' "$WORK/pgbench.out" | sed '1d;$d' | sort -n |
                awk '{ v[NR] = $1 } END { printf "%.0f", NR ? v[int((NR + 1) / 2)] : 0 }')
        else
            rm -rf "$WORK/out"
            timed "$WORK/cpu" "$LOADGEN" run "$WORK/pg-$mode.toml" --out "$WORK/out" --quiet >"$WORK/loadgen.out" 2>&1 || true
            read -r tx tps steady < <(python3 - "$WORK/out" <<'PY'
import csv, json, statistics, sys
s = json.load(open(sys.argv[1] + "/summary.json"))
n = sum(st["count"] for st in s["steps"])
rates = [float(r["rate"]) for r in csv.DictReader(open(sys.argv[1] + "/timeseries.csv"))][1:-1]
print(n, round(n / s["elapsed_seconds"]), round(statistics.median(rates)) if rates else 0)
PY
)
        fi
        after=$(commits)
        s1=$(server_cpu)
        cpu=$(cpu_s "$WORK/cpu")
        echo "$mode $tool $round $tps $steady $tx $((after - before)) $cpu $(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.3f", b - a }')" >>"$WORK/raw"
    }
    : >"$WORK/raw"
    local round mode
    for round in $(seq "$ROUNDS"); do
        for mode in select tpcb; do
            measure "$mode" pgbench "$round"
            measure "$mode" loadgen "$round"
        done
    done
    local rows
    rows=$(python3 - "$WORK/raw" <<'PY'
import statistics, sys
runs = [l.split() for l in open(sys.argv[1]) if l.strip()]
med = statistics.median
out = []
for mode in ("select", "tpcb"):
    got = {}
    for tool in ("pgbench", "loadgen"):
        r = [x for x in runs if x[0] == mode and x[1] == tool]
        tps = [float(x[3]) for x in r]
        steady = [float(x[4]) for x in r]
        cpu = [float(x[7]) * 1e6 / int(x[5]) for x in r]
        srv = [float(x[8]) * 1e6 / int(x[5]) for x in r]
        got[tool] = (med(tps), med(steady), med(cpu), med(srv))
        out.append(f"| {mode} | {tool} | {med(tps):.0f} ({min(tps):.0f}–{max(tps):.0f}) | "
                   f"{med(steady):.0f} ({min(steady):.0f}–{max(steady):.0f}) | "
                   f"{med(cpu):.1f} | {med(srv):.1f} |")
    p, l = got["pgbench"], got["loadgen"]
    out.append(f"| {mode} | loadgen / pgbench | {l[0] / p[0]:.2f}× | {l[1] / p[1]:.2f}× | "
               f"{l[2] / p[2]:.2f}× | {l[3] / p[3]:.2f}× |")
print("\n".join(out))
PY
)
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
        echo "Medians of $ROUNDS interleaved rounds (pgbench, then loadgen, for each workload; range in"
        echo "brackets). transactions/s is each tool's own figure (pgbench's excludes its connection time,"
        echo "loadgen's is count / elapsed, connects included); steady is the median per-second rate"
        echo "without the first and last second. Server CPU is every backend's user + system time per"
        echo "transaction (the postmaster's reaped children)."
        echo
        echo "| workload | client | transactions/s | steady transactions/s | client CPU µs / transaction | server CPU µs / transaction |"
        echo "|---|---|---|---|---|---|"
        echo "$rows"
        echo
        echo "Raw runs (workload, client, round, tps, steady tps, transactions, xact_commit delta, client CPU s, server CPU s):"
        echo
        echo '```text'
        cat "$WORK/raw"
        echo '```'
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
