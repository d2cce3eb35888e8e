#!/usr/bin/env bash
# WebSocket scale on one machine: connections held by one loadgen process, client memory per
# open connection, and the connection-storm rate. Not run in CI; every step is bounded.
#
#   scripts/ws-scale.sh                        # 15,000 connections, 1,000 for the baseline
#   N=15000 BASE=1000 HOLD=12 scripts/ws-scale.sh
#   SOURCES="127.0.0.2,127.0.0.3" N=40000 scripts/ws-scale.sh   # past one address's ports
#
# The target is `loadgen target` in its own process (its sockets count against its own
# open-file limit, not the client's). For each count (BASE, then N) a closed-model scenario
# opens that many WebSockets to /ws/echo at once (a connection storm: every VU starts at t=0),
# holds them HOLD seconds, and closes them. Meanwhile the script samples, every 0.2 s, the
# target's `ws.connections_open` and the client's VmRSS.
#
# * held: the most connections the target saw open at once (and the client's
#   ws_open_connections peak, from summary.json).
# * KiB per connection: (client RSS at the plateau with N - with BASE) / (N - BASE): the
#   marginal cost of one open connection, runtime and histograms excluded; the same for the
#   target process (an upper bound: the target runs BASE first and keeps the RSS it used).
# * storm rate: successful connects / the slowest connect's latency (every VU starts its
#   connect at t0, so that latency is how long the storm took), from summary.json.
#
# * paced storm: the open model starts RATE connections/s for STORM_S s, each held
#   STORM_HOLD s: connects that succeeded per second, connect latency from the intended start
#   (so a generator or target that falls behind shows), and arrivals dropped for lack of VUs.
#
# Environment: N (15000), BASE (1000), HOLD (12), RATE (2000), STORM_S (5), STORM_HOLD (3), THREADS (client threads; default: cores),
# TARGET_THREADS (2), SOURCES (comma-separated source addresses, default none), TIMEOUT per
# run (HOLD + 60 s). Writes the table to stdout and raw files to a /tmp/ws-scale.* folder.
set -euo pipefail

N=${N:-15000}
BASE=${BASE:-1000}
HOLD=${HOLD:-12}
THREADS=${THREADS:-$(nproc)}
TARGET_THREADS=${TARGET_THREADS:-2}
SOURCES=${SOURCES:-}
TIMEOUT=${TIMEOUT:-$((HOLD + 60))}
RATE=${RATE:-2000}
STORM_S=${STORM_S:-5}
STORM_HOLD=${STORM_HOLD:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$CARGO_TARGET_DIR/release/loadgen
WORK=$(mktemp -d /tmp/ws-scale.XXXXXX)

cargo build --release -q -p loadgen --manifest-path "$ROOT/Cargo.toml"

echo "open-file limit: soft $(ulimit -Sn), hard $(ulimit -Hn); ephemeral ports: $(tr '\t' '-' </proc/sys/net/ipv4/ip_local_port_range)"
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt $((N + 100)) ]; then
    echo "the hard open-file limit $(ulimit -Hn) is below $((N + 100)) (one file per connection in each process):" >&2
    echo "  raise it (limits.conf nofile / systemd LimitNOFILE / docker --ulimit nofile=...) or lower N" >&2
    exit 2
fi
ulimit -n "$(ulimit -Hn)"

"$BIN" target --listen 127.0.0.1:0 --threads "$TARGET_THREADS" >"$WORK/target.out" 2>"$WORK/target.err" &
TARGET_PID=$!
trap 'kill $TARGET_PID 2>/dev/null || true; wait $TARGET_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$WORK/target.out" && break; sleep 0.1; done
URL=$(awk '/listening/ {print $NF}' "$WORK/target.out")
[ -n "$URL" ] || { echo "target did not start" >&2; exit 1; }

sources_toml=""
if [ -n "$SOURCES" ]; then
    sources_toml="source_addrs = [$(echo "$SOURCES" | sed 's/[^,][^,]*/"&"/g')]"
fi

# run COUNT: one storm-and-hold run; prints "held peak_rss_kib storm_rate client_peak".
run() {
    local count=$1 dir="$WORK/n$1"
    mkdir -p "$dir"
    cat >"$dir/scale.toml" <<TOML
name = "ws-scale"
duration = "$((HOLD + 2))s"
graceful_stop = "20s"

[[workload]]
name = "hold"
model = "closed"
vus = $count
iterations = 1

  [workload.ws]
  url = "/ws/echo"
  hold = "${HOLD}s"
  connect_timeout = "20s"
  close_timeout = "5s"
  $sources_toml
TOML
    curl -s -X POST "$URL/__counters/reset" >/dev/null
    "$BIN" run "$dir/scale.toml" --target "$URL" --threads "$THREADS" \
        --out "$dir/out" >"$dir/run.out" 2>&1 &
    local pid=$! t0
    # Bounded: a run that outlives TIMEOUT is killed.
    (sleep "$TIMEOUT"; kill "$pid" 2>/dev/null) >/dev/null 2>&1 &
    local watchdog=$!
    t0=$(date +%s.%N)
    : >"$dir/samples"
    while kill -0 "$pid" 2>/dev/null; do
        local open rss trss
        open=$(curl -s --max-time 1 "$URL/__counters" | grep -o '"connections_open":[0-9]*' | cut -d: -f2)
        rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
        trss=$(awk '/VmRSS/ {print $2}' "/proc/$TARGET_PID/status" 2>/dev/null || true)
        echo "$(echo "$(date +%s.%N) - $t0" | bc) ${open:--1} ${rss:-0} ${trss:-0}" >>"$dir/samples"
        sleep 0.2
    done
    wait "$pid" || echo "run with $count connections exited $?" >&2
    pkill -P "$watchdog" 2>/dev/null || true
    kill "$watchdog" 2>/dev/null || true
    python3 - "$dir" "$count" <<'PY'
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
rows = [tuple(map(float, l.split())) for l in open(f"{d}/samples") if len(l.split()) == 4]
held = max(int(r[1]) for r in rows)
# RSS at the plateau: the median while at least 99% of the connections are open.
def plateau(col):
    xs = sorted(r[col] for r in rows if r[1] >= 0.99 * n) or [max(r[col] for r in rows)]
    return xs[len(xs) // 2]
rss, trss = plateau(2), plateau(3)
try:
    s = json.load(open(f"{d}/out/summary.json"))
    # Every VU starts its connect at t0, so the slowest connect (from its intended start)
    # is how long the whole storm took.
    connect = next(st for st in s["steps"] if st["step"] == "connect")
    storm = connect["outcomes"].get("success", 0) / (connect["latency"]["max"] / 1e3)
    peak = next(c["max"] for c in s["custom"] if c["name"] == "ws_open_connections")
    ok = next(c for c in s["custom"] if c["name"] == "ws_connect_success")
    success = f'{ok["count"]}/{ok["total"]}'
except Exception as e:
    peak, success, storm = -1, f"no summary ({e})", float("nan")
print(held, int(rss), f"{storm:.0f}", peak, success, int(trss))
PY
}

echo "runs: BASE=$BASE then N=$N connections, hold ${HOLD}s, client threads $THREADS, target threads $TARGET_THREADS${SOURCES:+, sources $SOURCES}"
read -r base_held base_rss base_storm base_peak base_ok base_trss < <(run "$BASE")
read -r n_held n_rss n_storm n_peak n_ok n_trss < <(run "$N")
per=$(python3 -c "print(f'{($n_rss - $base_rss) / ($N - $BASE):.1f}')")
tper=$(python3 -c "print(f'{($n_trss - $base_trss) / ($N - $BASE):.1f}')")
echo
echo "| connections | held (target) | client peak | connect success | client RSS | storm rate |"
echo "|---|---|---|---|---|---|"
echo "| $BASE | $base_held | $base_peak | $base_ok | $((base_rss / 1024)) MiB | $base_storm conn/s |"
echo "| $N | $n_held | $n_peak | $n_ok | $((n_rss / 1024)) MiB | $n_storm conn/s |"

# The paced storm: the open model starts RATE connections per second for STORM_S seconds,
# each held STORM_HOLD s; what succeeds, how long handshakes took, what was dropped.
storm() {
    local dir="$WORK/storm"
    # A VU per connection open at once (rate x hold, with a second of slack), within the
    # open-file limit.
    local vus=$((RATE * (STORM_HOLD + 1)))
    [ "$vus" -gt $(($(ulimit -n) - 2000)) ] && vus=$(($(ulimit -n) - 2000))
    mkdir -p "$dir"
    cat >"$dir/storm.toml" <<TOML
name = "ws-storm"
graceful_stop = "20s"

[[workload]]
name = "storm"
model = "open"
rate = "$RATE/s"
duration = "${STORM_S}s"
max_vus = $vus
pre_allocated_vus = $vus

  [workload.ws]
  url = "/ws/echo"
  hold = "${STORM_HOLD}s"
  connect_timeout = "20s"
  $sources_toml
TOML
    timeout "$TIMEOUT" "$BIN" run "$dir/storm.toml" --target "$URL" --threads "$THREADS" \
        --out "$dir/out" >"$dir/run.out" 2>&1 || echo "storm run exited $?" >&2
    python3 - "$dir" "$RATE" "$STORM_S" <<'PY'
import json, sys
d, rate, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
try:
    s = json.load(open(f"{d}/out/summary.json"))
except OSError:
    print(f"| {rate}/s for {secs:.0f} s | no result: see {d}/run.out | | | | |")
    sys.exit()
c = next(st for st in s["steps"] if st["step"] == "connect")
ok = c["outcomes"].get("success", 0)
dropped = sum(w.get("dropped", 0) for w in s.get("workloads", []))
lat = c["latency"]
print(f"| {rate}/s for {secs:.0f} s | {ok} of {rate * secs:.0f} | {ok / secs:.0f} conn/s | {lat['p50']:.1f} ms | {lat['p99']:.1f} ms | {dropped} |")
PY
}
storm_row=$(storm)

echo
echo "paced storm (open model, each connection held ${STORM_HOLD}s):"
echo
echo "| arrivals | connected | connects/s | connect p50 (from intended start) | p99 | dropped arrivals |"
echo "|---|---|---|---|---|---|"
echo "$storm_row"
echo
echo "client memory per open connection: $per KiB ((RSS at $N - RSS at $BASE) / $((N - BASE)))"
echo "target memory per open connection: $tper KiB (the same from the target process; it keeps RSS it once used)"
echo "raw samples and summaries: $WORK"
