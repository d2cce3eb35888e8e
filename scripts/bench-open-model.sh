#!/usr/bin/env bash
# Open-model accuracy and memory flatness of loadgen against nginx, side by side with h2load.
#
#   scripts/bench-open-model.sh                          # 3 interleaved rounds per rate
#   ROUNDS=5 RATES="20000 50000 80000" scripts/bench-open-model.sh
#
# nginx runs on CPU 0 (taskset -c 0, one worker, `return 200 "ok"`, no access log), each
# client alone on CPU 1, as in scripts/bench-http1.sh.
#
# Open-model accuracy: for each target rate, ROUNDS interleaved rounds of
#   loadgen run --url ... --rate R/s --vus OPEN_VUS --duration DUR --threads 1 (open model)
#   h2load --h1 -c H2_CLIENTS -t 1 --rps R/H2_CLIENTS -D DUR        (h2load's --rps is per client)
# Achieved rate = completed requests / DUR (loadgen: summary.json steps[0].count; h2load:
# "succeeded"). loadgen schedules arrivals over [0, DUR) and counts a request when it
# completes, so requests still in flight at DUR are awaited (graceful stop) and counted; the
# graceful stop adds only milliseconds (elapsed_seconds in summary.json is reported too).
# Error vs target = (achieved - target) / target. Schedule lag p99 and dropped arrivals come
# from summary.json, CPU seconds (user + system) and max RSS from /usr/bin/time -v; nginx's
# stub_status delta cross-checks the client's count.
#
# Memory flatness: loadgen closed model at full speed (--vus MEM_VUS --threads 1) for
# MEM_SHORT and MEM_LONG seconds; max RSS of each (and VmRSS sampled every 5 s during the long
# run); growth per million requests = (RSS_long - RSS_short) / (requests_long - requests_short).
#
# The machine is shared: before each measured run the script waits (up to LOAD_WAIT s) for
# the 1-minute load average to fall below LOAD_MAX and records what it saw.
#
# Environment: ROUNDS (3), DUR (10), RATES ("20000 50000"), OPEN_VUS (200), H2_CLIENTS (50),
# MEM_VUS (50), MEM_SHORT (10), MEM_LONG (60), LOAD_MAX (0.8), LOAD_WAIT (60), PORT (8089),
# NGINX_CPU (0), CLIENT_CPU (1), CARGO_TARGET_DIR (<repo>/target).
# The table goes to stdout and to results/bench-open-model-<date>.md; raw outputs stay in
# the /tmp/bench-open-model.* folder the report names.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DUR=${DUR:-10}
RATES=${RATES:-"20000 50000"}
OPEN_VUS=${OPEN_VUS:-200}
H2_CLIENTS=${H2_CLIENTS:-50}
MEM_VUS=${MEM_VUS:-50}
MEM_SHORT=${MEM_SHORT:-10}
MEM_LONG=${MEM_LONG:-60}
LOAD_MAX=${LOAD_MAX:-0.8}
LOAD_WAIT=${LOAD_WAIT:-60}
PORT=${PORT:-8089}
NGINX_CPU=${NGINX_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
URL="http://127.0.0.1:$PORT/"

need() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
missing=()
need nginx || missing+=(nginx)
need h2load || missing+=(nghttp2-client)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} (apt-get)" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v python3 >/dev/null || { echo "python3 is needed to read summary.json" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

echo "building loadgen (release)" >&2
cargo build --release -q -p loadgen --manifest-path "$ROOT/Cargo.toml"
LOADGEN="$CARGO_TARGET_DIR/release/loadgen"

WORK=$(mktemp -d /tmp/bench-open-model.XXXXXX)
NGINX_PID=""
trap stop_nginx EXIT INT TERM

mkdir -p "$WORK/runs"
# shellcheck source=lib/nginx.sh
. "$(dirname "$0")/lib/nginx.sh"
start_nginx "$WORK" "$PORT" "$NGINX_CPU" "$NGINX" || exit 1

# Waits until the 1-minute load average is below LOAD_MAX (at most LOAD_WAIT s);
# prints "load_seen seconds_waited".
wait_quiet() {
    local waited=0 load
    while :; do
        load=$(cut -d' ' -f1 /proc/loadavg)
        awk -v l="$load" -v m="$LOAD_MAX" 'BEGIN { exit !(l < m) }' && break
        [ "$waited" -ge "$LOAD_WAIT" ] && break
        sleep 1
        waited=$((waited + 1))
    done
    echo "$load $waited"
}

# Fields from /usr/bin/time -v: "cpu_seconds max_rss_kb wall_seconds voluntary_context_switches
# system_seconds". A voluntary switch is the process going to sleep: one per wake-up.
time_fields() {
    awk -F': ' '
        /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { r = $2 }
        /Voluntary context switches/ { v = $2 }
        /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
        END { printf "%.2f %d %.2f %d %.2f\n", u + s, r, w, v, s }' "$1"
}

# loadgen summary.json -> "count elapsed_s lag_p99_ms dropped interrupted errors lat_p99_ms lag_p999_ms"
summary_fields() {
    python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s, w, t = d["steps"][0], d["workloads"][0], d["totals"]
print(s["count"], d["elapsed_seconds"], w["schedule_lag"]["p99"], t["dropped"],
      w["interrupted"], t["errors"], s["latency"]["p99"], w["schedule_lag"]["p999"])
PY
}

ROWS="$WORK/rows.tsv"   # tool rate round achieved err% lag_p99 dropped cpu rss_kb nginx load waited count elapsed lat_p99 errors interrupted lag_p999 wake-ups sys_s
: >"$ROWS"

run_loadgen_open() {
    local rate=$1 round=$2 dir="$WORK/runs/loadgen-$1-$2" tm="$WORK/runs/loadgen-$1-$2.time"
    local before after rc=0 load waited
    read -r load waited < <(wait_quiet)
    before=$(served)
    /usr/bin/time -v -o "$tm" taskset -c "$CLIENT_CPU" "$LOADGEN" run --url "$URL" \
        --rate "$rate/s" --vus "$OPEN_VUS" --duration "${DUR}s" --threads 1 --quiet --out "$dir" \
        >"$dir.out" 2>&1 || rc=$?
    after=$(served)
    [ "$rc" -eq 0 ] || echo "loadgen exited $rc (rate $rate, round $round): see $dir.out" >&2
    read -r count elapsed lag dropped interrupted errors latp99 lag999 < <(summary_fields "$dir/summary.json")
    read -r cpu rss wall wakes sys < <(time_fields "$tm")
    local achieved err
    achieved=$(awk -v c="$count" -v d="$DUR" 'BEGIN { printf "%.1f", c / d }')
    err=$(awk -v a="$achieved" -v r="$rate" 'BEGIN { printf "%+.3f", (a - r) / r * 100 }')
    printf 'loadgen\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$rate" "$round" "$achieved" "$err" "$lag" "$dropped" "$cpu" "$rss" "$((after - before - 1))" \
        "$load" "$waited" "$count" "$elapsed" "$latp99" "$errors" "$interrupted" "$lag999" "$wakes" "$sys" >>"$ROWS"
    printf 'round %d loadgen rate=%s achieved=%s (%s%%) lag_p99=%sms lag_p99.9=%sms dropped=%s interrupted=%s cpu=%ss rss=%sKB elapsed=%ss wall=%ss nginx=%s load=%s (waited %ss)\n' \
        "$round" "$rate" "$achieved" "$err" "$lag" "$lag999" "$dropped" "$interrupted" "$cpu" "$rss" "$elapsed" "$wall" \
        "$((after - before - 1))" "$load" "$waited" >&2
}

run_h2load() {
    local rate=$1 round=$2 out="$WORK/runs/h2load-$1-$2.out" tm="$WORK/runs/h2load-$1-$2.time"
    local before after rc=0 load waited per_client
    per_client=$((rate / H2_CLIENTS))
    read -r load waited < <(wait_quiet)
    before=$(served)
    /usr/bin/time -v -o "$tm" taskset -c "$CLIENT_CPU" h2load --h1 -c "$H2_CLIENTS" -t 1 \
        --rps "$per_client" -D "$DUR" "$URL" >"$out" 2>&1 || rc=$?
    after=$(served)
    [ "$rc" -eq 0 ] || echo "h2load exited $rc (rate $rate, round $round): see $out" >&2
    local succeeded failed finished
    succeeded=$(awk '/^requests:/ { for (i = 1; i <= NF; i++) if ($(i) ~ /^succeeded/) print $(i - 1) }' "$out")
    failed=$(awk '/^requests:/ { for (i = 1; i <= NF; i++) if ($(i) ~ /^failed/) print $(i - 1) }' "$out")
    finished=$(awk '/^finished in/ { sub(/s,$/, "", $3); print $3 }' "$out")
    read -r cpu rss wall wakes sys < <(time_fields "$tm")
    local achieved err
    achieved=$(awk -v c="$succeeded" -v d="$DUR" 'BEGIN { printf "%.1f", c / d }')
    err=$(awk -v a="$achieved" -v r="$rate" 'BEGIN { printf "%+.3f", (a - r) / r * 100 }')
    printf 'h2load\t%s\t%s\t%s\t%s\t-\t-\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t-\t%s\t-\t-\t%s\t%s\n' \
        "$rate" "$round" "$achieved" "$err" "$cpu" "$rss" "$((after - before - 1))" \
        "$load" "$waited" "$succeeded" "$finished" "$failed" "$wakes" "$sys" >>"$ROWS"
    printf 'round %d h2load  rate=%s achieved=%s (%s%%) failed=%s cpu=%ss rss=%sKB finished=%ss wall=%ss nginx=%s load=%s (waited %ss)\n' \
        "$round" "$rate" "$achieved" "$err" "$failed" "$cpu" "$rss" "$finished" "$wall" \
        "$((after - before - 1))" "$load" "$waited" >&2
}

# Closed model at full speed; samples VmRSS every 5 s. Prints
# "requests cpu rss_kb load waited samples(comma-separated KB)".
run_loadgen_closed() {
    local secs=$1 dir="$WORK/runs/closed-$1" tm="$WORK/runs/closed-$1.time"
    local load waited pid child samples="" t=0
    read -r load waited < <(wait_quiet)
    /usr/bin/time -v -o "$tm" taskset -c "$CLIENT_CPU" "$LOADGEN" run --url "$URL" \
        --vus "$MEM_VUS" --duration "${secs}s" --threads 1 --quiet --out "$dir" >"$dir.out" 2>&1 &
    pid=$!
    # /usr/bin/time's child is taskset, which execs loadgen (same PID).
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        t=$((t + 1))
        child=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null | awk '{ print $1 }') || true
        if [ $((t % 5)) -eq 0 ] && [ -n "$child" ]; then
            rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$child/status" 2>/dev/null) || true
            [ -n "$rss" ] && samples="${samples:+$samples,}$rss"
        fi
    done
    wait "$pid" || echo "loadgen closed ${secs}s exited $?: see $dir.out" >&2
    read -r count _ _ _ _ errors _ < <(summary_fields "$dir/summary.json")
    read -r cpu rss _ < <(time_fields "$tm")
    echo "$count $cpu $rss $load $waited ${samples:--} $errors"
}

echo "nginx on CPU $NGINX_CPU, clients on CPU $CLIENT_CPU; rates: $RATES; $ROUNDS interleaved rounds of ${DUR}s; raw: $WORK" >&2
for rate in $RATES; do
    for round in $(seq "$ROUNDS"); do
        run_loadgen_open "$rate" "$round"
        run_h2load "$rate" "$round"
    done
done

echo "memory: closed model, $MEM_VUS VUs, ${MEM_SHORT}s and ${MEM_LONG}s" >&2
read -r MS_REQ MS_CPU MS_RSS MS_LOAD MS_WAIT MS_SAMPLES MS_ERR < <(run_loadgen_closed "$MEM_SHORT")
echo "closed ${MEM_SHORT}s: requests=$MS_REQ cpu=${MS_CPU}s rss=${MS_RSS}KB errors=$MS_ERR load=$MS_LOAD (waited ${MS_WAIT}s) samples=$MS_SAMPLES" >&2
read -r ML_REQ ML_CPU ML_RSS ML_LOAD ML_WAIT ML_SAMPLES ML_ERR < <(run_loadgen_closed "$MEM_LONG")
echo "closed ${MEM_LONG}s: requests=$ML_REQ cpu=${ML_CPU}s rss=${ML_RSS}KB errors=$ML_ERR load=$ML_LOAD (waited ${ML_WAIT}s) samples=$ML_SAMPLES" >&2

# shellcheck source=lib/stats.sh
. "$(dirname "$0")/lib/stats.sh"
# column values of the rows of one tool and rate
col() { awk -F'\t' -v t="$1" -v r="$2" -v c="$3" '$1 == t && $2 == r { printf "%s ", $c }' "$ROWS"; }
med() { col "$@" | median; }

DATE=$(date +%Y-%m-%d)
mkdir -p "$ROOT/results"
REPORT="$ROOT/results/bench-open-model-$DATE.md"
{
    echo "# Open-model accuracy and memory flatness against nginx, $DATE"
    echo
    echo "nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') on CPU $NGINX_CPU (one worker, \`return 200 \"ok\"\`, no access log); each client alone on CPU $CLIENT_CPU."
    echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), shared: before each run the script waited"
    echo "(at most ${LOAD_WAIT}s) for the 1-minute load average to fall below $LOAD_MAX. loadgen $(git -C "$ROOT" rev-parse --short HEAD), $(h2load --version 2>&1 | head -1)."
    echo
    echo "## Open model: target rate vs achieved ($ROUNDS interleaved rounds of ${DUR}s, medians)"
    echo
    echo "- loadgen: \`loadgen run --url $URL --rate R/s --vus $OPEN_VUS --duration ${DUR}s --threads 1 --quiet\`"
    echo "- h2load: \`h2load --h1 -c $H2_CLIENTS -t 1 --rps R/$H2_CLIENTS -D $DUR $URL\` (--rps is per client)"
    echo "- achieved = completed requests / ${DUR}s (loadgen: summary.json steps[0].count; h2load: succeeded)."
    echo "  loadgen's arrivals are scheduled over [0, ${DUR}s); requests in flight at ${DUR}s are awaited"
    echo "  (graceful stop, a few ms: see elapsed) and counted, so count/${DUR} is the rate of arrivals served."
    echo "- error = (achieved - target) / target; CPU = user + system (/usr/bin/time -v); nginx = stub_status delta."
    echo
    echo "| tool | target /s | achieved /s | error % | sched. lag p99 ms | sched. lag p99.9 ms | latency p99 ms | dropped | client CPU s | CPU µs / req | of it kernel | requests / wake-up | max RSS MB | nginx served | load avg seen |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    for rate in $RATES; do
        for tool in loadgen h2load; do
            ach=$(med "$tool" "$rate" 4); err=$(med "$tool" "$rate" 5)
            cpu=$(med "$tool" "$rate" 8); rss=$(med "$tool" "$rate" 9); ng=$(med "$tool" "$rate" 10)
            if [ "$tool" = loadgen ]; then
                lag=$(med "$tool" "$rate" 6); drop=$(med "$tool" "$rate" 7); lat=$(med "$tool" "$rate" 15)
                lag999=$(med "$tool" "$rate" 18)
            else
                lag="n/a"; drop="n/a"; lat="n/a"; lag999="n/a"
            fi
            wk=$(med "$tool" "$rate" 19); sy=$(med "$tool" "$rate" 20)
            echo "| $tool | $rate | $(printf '%.0f' "$ach") | $(printf '%+.2f' "$err") | $lag | $lag999 | $lat | $drop | $cpu | $(awk -v c="$cpu" -v a="$ach" -v d="$DUR" 'BEGIN { printf "%.1f", c * 1e6 / (a * d) }') | $(awk -v s="$sy" -v c="$cpu" 'BEGIN { printf "%.0f%%", s * 100 / c }') | $(awk -v w="$wk" -v a="$ach" -v d="$DUR" 'BEGIN { printf "%.1f", a * d / w }') | $(awk -v r="$rss" 'BEGIN { printf "%.1f", r / 1024 }') | $(printf '%.0f' "$ng") | $(col "$tool" "$rate" 11)|"
        done
    done
    echo
    for rate in $RATES; do
        awk -F'\t' -v r="$rate" '$1 == "loadgen" && $2 == r { n++; if ($6 < 1) k++ }
            END { printf "Schedule lag p99 under 1 ms at %s/s in %d of %d rounds.\n", r, k, n }' "$ROWS"
    done
    echo
    echo "Every round (tool, target, round: achieved /s, error %, lag p99 ms, dropped, CPU s, RSS KB, nginx served, load seen, s waited, count, elapsed s):"
    echo
    echo '```'
    awk -F'\t' '{ printf "%-7s %6s r%s: %9s/s %8s%% lag %-7s p99.9 %-7s dropped %-5s cpu %5ss rss %6sKB nginx %7s load %s waited %2ss count %s elapsed %ss\n", $1, $2, $3, $4, $5, $6, ($18 == "" ? "-" : $18), $7, $8, $9, $10, $11, $12, $13, $14 }' "$ROWS"
    echo '```'
    echo
    echo "## Memory flatness: closed model at full speed (\`--vus $MEM_VUS --threads 1\`)"
    echo
    echo "| duration | requests | req/s | client CPU s | max RSS MB | VmRSS every 5 s (KB) | errors | load avg seen |"
    echo "|---:|---:|---:|---:|---:|---|---:|---|"
    echo "| ${MEM_SHORT}s | $MS_REQ | $((MS_REQ / MEM_SHORT)) | $MS_CPU | $(awk -v r="$MS_RSS" 'BEGIN { printf "%.1f", r / 1024 }') | $MS_SAMPLES | $MS_ERR | $MS_LOAD |"
    echo "| ${MEM_LONG}s | $ML_REQ | $((ML_REQ / MEM_LONG)) | $ML_CPU | $(awk -v r="$ML_RSS" 'BEGIN { printf "%.1f", r / 1024 }') | $ML_SAMPLES | $ML_ERR | $ML_LOAD |"
    echo
    awk -v a="$MS_RSS" -v b="$ML_RSS" -v x="$MS_REQ" -v y="$ML_REQ" 'BEGIN {
        d = (y - x) / 1e6
        printf "RSS growth: %+d KB over %.2f M more requests = **%+.1f KB per million requests**.\n", b - a, d, (b - a) / d }'
    echo
    echo "Reproduce: \`ROUNDS=$ROUNDS DUR=$DUR RATES=\"$RATES\" scripts/bench-open-model.sh\`. Raw outputs: $WORK"
} | tee "$REPORT"
echo "written: $REPORT" >&2
