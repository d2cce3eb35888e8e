#!/usr/bin/env bash
# loadgen side by side with the peer load generators, in one run, on this machine.
#
#   scripts/bench-peers.sh                         # 5 interleaved rounds, 10 s each
#   RUNS=3 DUR=5 TOOLS="loadgen wrk ab" scripts/bench-peers.sh
#
# Target: one nginx worker pinned to NGINX_CPU (`return 200 "ok"`, no access log, stub_status);
# every client alone on CLIENT_CPU, 50 keep-alive connections. Requests are counted by nginx's
# own stub_status (the same ruler for every tool), client CPU (user + system) and max RSS by
# /usr/bin/time. loadgen is the real binary (`loadgen run --url`), recording every request in
# HDR histograms with intended-start latency.
#
# 1. Closed loop: for each round, every tool in TOOLS in turn: requests per client CPU-second.
# 2. Open model at each of RATES: loadgen, h2load, oha (and hey) asked for that many requests
#    per second: achieved rate (nginx count / DUR), error vs target, client CPU µs per request,
#    RSS; loadgen's schedule lag (p50, p99, p99.9) and dropped arrivals from its summary.json.
# 3. JOURNEY=1 (default): a journey of 3 steps, each capturing the `id` of its JSON answer for
#    the next one's path, beside the single-step closed loop in the same round (requests per
#    client CPU-second; issue goal: at least 0.85x the single step).
# 4. Closed loop over each protocol in PROTOS: `tls` (HTTP/1.1 over TLS: loadgen, wrk, oha),
#    `h2c` and `h2` (HTTP/2 cleartext and over TLS: loadgen, h2load -m1, h2load -m10, oha).
#    h2load -m10 (10 streams on each of CONNS connections) is compared with loadgen at
#    CONNS*10 VUs sharing connections ten at a time (`[http] streams_per_connection = 10`).
# Medians, spread (min–max) and the ratio loadgen/peer (of medians) go to stdout and to
# results/bench-peers-<date>.md. The machine is noisy (±10% run to run): rounds interleave
# tools so drift hits all of them alike, and differences under 10% are noise.
#
# Peers install from the registries when missing: apt (wrk, hey, nghttp2-client,
# apache2-utils, nginx, time), cargo (oha 1.16.0), pip (locust, only with LOCUST=1).
# Environment: RUNS (5), DUR (10), CONNS (50), RATES ("20000 50000"), TOOLS ("loadgen wrk ab h2load oha
# hey"), RATE_TOOLS ("loadgen h2load oha"), PROTOS ("tls h2c h2"; empty skips), PORT (8089; the
# TLS port is PORT+1, h2c PORT+2), NGINX_CPU (0), CLIENT_CPU (1),
# COOLDOWN (2), CARGO_TARGET_DIR (<repo>/target), LOADGEN (a loadgen binary to measure instead
# of building this tree's).
set -euo pipefail

RUNS=${RUNS:-5}
DUR=${DUR:-10}
CONNS=${CONNS:-50}
RATES=${RATES-${RATE-"20000 50000"}}
TOOLS=${TOOLS:-"loadgen wrk ab h2load oha hey"}
RATE_TOOLS=${RATE_TOOLS-"loadgen h2load oha"}
PROTOS=${PROTOS-"tls h2c h2"}
JOURNEY=${JOURNEY:-1}
PORT=${PORT:-8089}
NGINX_CPU=${NGINX_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
COOLDOWN=${COOLDOWN:-2}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
export PATH="$HOME/.cargo/bin:$PATH"
URL="http://127.0.0.1:$PORT/"

# ------------------------------------------------------------------ install
need() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
missing=()
for b in wrk hey h2load ab nginx; do need "$b" || missing+=("$b"); done
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing peers with apt-get (missing: ${missing[*]})" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
        wrk hey nghttp2-client apache2-utils nginx time >/dev/null
fi
if [[ " $TOOLS $RATE_TOOLS " == *" oha "* ]] && ! need oha; then
    echo "cargo install oha 1.16.0 (several minutes)" >&2
    cargo install oha --locked --version 1.16.0 >&2
fi
if [ "${LOCUST:-0}" = 1 ] && ! need locust; then
    pip install -q "locust==2.47.0" >&2
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# LOADGEN=path measures that binary (another build, to compare) instead of building this tree.
if [ -z "${LOADGEN:-}" ]; then
    cargo build --release -q -p loadgen --manifest-path "$ROOT/Cargo.toml"
    LOADGEN=$CARGO_TARGET_DIR/release/loadgen
fi

WORK=$(mktemp -d /tmp/bench-peers.XXXXXX)
NGINX_PID=""
trap stop_nginx EXIT INT TERM
# shellcheck source=lib/nginx.sh
. "$(dirname "$0")/lib/nginx.sh"
NGINX_TLS_PORT=$((PORT + 1)) NGINX_H2C_PORT=$((PORT + 2)) start_nginx "$WORK" "$PORT" "$NGINX_CPU" "$NGINX" || exit 1
TLS_URL="https://127.0.0.1:$((PORT + 1))/"
H2C_URL="http://127.0.0.1:$((PORT + 2))/"

# A scenario of CONNS*10 VUs sharing HTTP/2 connections ten at a time (h2load's -c CONNS -m10).
m10_scenario() {
    local f="$WORK/m10-${1%%:*}.toml"
    cat >"$f" <<TOML
name = "h2-m10"
target = "$1"
duration = "${DUR}s"
[http]
version = "http2"
insecure = true
streams_per_connection = 10
[[workload]]
name = "m10"
model = "closed"
vus = $((CONNS * 10))
  [[workload.step]]
  name = "get"
  http = { method = "GET", path = "/" }
TOML
    echo "$f"
}

# Three steps, each capturing the id its answer names for the next step's path.
journey_scenario() {
    local f="$WORK/journey.toml"
    cat >"$f" <<TOML
name = "journey"
target = "$URL"
duration = "${DUR}s"
[[workload]]
name = "journey"
model = "closed"
vus = $CONNS
  [[workload.step]]
  name = "create"
  http = { method = "GET", path = "/j/new" }
  capture = { id = { json = "\$.id" } }
  [[workload.step]]
  name = "read"
  http = { method = "GET", path = "/j/{{id}}" }
  capture = { id2 = { json = "\$.id" } }
  [[workload.step]]
  name = "refund"
  http = { method = "GET", path = "/j/{{id2}}/refund" }
  capture = { id3 = { json = "\$.id" } }
TOML
    echo "$f"
}

# The command line of TOOL: closed loop (rate empty) or asked for RATE requests per second.
command_of() {
    local tool=$1 rate=${2:-}
    case $tool:$rate in
        loadgen-journey:) echo "$LOADGEN run $(journey_scenario) --threads 1 --quiet --out $WORK/lg" ;;
        loadgen:tls) echo "$LOADGEN run --url $TLS_URL --insecure --vus $CONNS --duration ${DUR}s --threads 1 --quiet --out $WORK/lg" ;;
        wrk:tls) echo "wrk -t1 -c$CONNS -d${DUR}s $TLS_URL" ;;
        oha:tls) echo "oha --no-tui --insecure -z ${DUR}s -c $CONNS $TLS_URL" ;;
        loadgen:h2c) echo "$LOADGEN run --url $H2C_URL --http2 --vus $CONNS --duration ${DUR}s --threads 1 --quiet --out $WORK/lg" ;;
        loadgen-m10:h2c) echo "$LOADGEN run $(m10_scenario "$H2C_URL") --threads 1 --quiet --out $WORK/lg" ;;
        h2load:h2c) echo "h2load -t1 -c$CONNS -m1 -D $DUR $H2C_URL" ;;
        h2load-m10:h2c) echo "h2load -t1 -c$CONNS -m10 -D $DUR $H2C_URL" ;;
        oha:h2c) echo "oha --no-tui --http2 -z ${DUR}s -c $CONNS $H2C_URL" ;;
        loadgen:h2) echo "$LOADGEN run --url $TLS_URL --http2 --insecure --vus $CONNS --duration ${DUR}s --threads 1 --quiet --out $WORK/lg" ;;
        loadgen-m10:h2) echo "$LOADGEN run $(m10_scenario "$TLS_URL") --threads 1 --quiet --out $WORK/lg" ;;
        h2load:h2) echo "h2load -t1 -c$CONNS -m1 -D $DUR $TLS_URL" ;;
        h2load-m10:h2) echo "h2load -t1 -c$CONNS -m10 -D $DUR $TLS_URL" ;;
        oha:h2) echo "oha --no-tui --http2 --insecure -z ${DUR}s -c $CONNS $TLS_URL" ;;
        loadgen:) echo "$LOADGEN run --url $URL --vus $CONNS --duration ${DUR}s --threads 1 --quiet --out $WORK/lg" ;;
        loadgen:*) echo "$LOADGEN run --url $URL --rate $rate/s --vus 200 --duration ${DUR}s --threads 1 --quiet --out $WORK/lg" ;;
        wrk:) echo "wrk -t1 -c$CONNS -d${DUR}s $URL" ;;
        ab:) echo "ab -k -q -c $CONNS -t $DUR -n 100000000 $URL" ;;
        h2load:) echo "h2load --h1 -t1 -c$CONNS -D $DUR $URL" ;;
        h2load:*) echo "h2load --h1 -t1 -c$CONNS -D $DUR --rps $(( rate / CONNS )) $URL" ;;
        oha:) echo "oha --no-tui -z ${DUR}s -c $CONNS $URL" ;;
        oha:*) echo "oha --no-tui -z ${DUR}s -c $CONNS -q $rate $URL" ;;
        hey:) echo "hey -z ${DUR}s -c $CONNS $URL" ;;
        hey:*) echo "hey -z ${DUR}s -c $CONNS -q $(( rate / CONNS )) $URL" ;;
        locust:) echo "locust --headless -f $WORK/locustfile.py -H ${URL%/} -u $CONNS -r $CONNS -t ${DUR}s --only-summary" ;;
        *) echo "" ;;
    esac
}
cat >"$WORK/locustfile.py" <<'PY'
from locust import task
from locust.contrib.fasthttp import FastHttpUser

class U(FastHttpUser):
    @task
    def get(self):
        self.client.get("/")
PY

# Runs TOOL pinned to the client CPU; prints "requests cpu_seconds rss_mb".
measure() {
    local cmd before after
    cmd=$(command_of "$@")
    [ -n "$cmd" ] || { echo "no command for $*" >&2; return 1; }
    sleep "$COOLDOWN"
    rm -rf "$WORK/lg"
    before=$(served)
    # shellcheck disable=SC2086
    /usr/bin/time -f '%U %S %M' -o "$WORK/time" taskset -c "$CLIENT_CPU" $cmd >"$WORK/out" 2>"$WORK/err" || true
    after=$(served)
    awk -v n=$((after - before - 1)) '{ printf "%d %.3f %.1f\n", n, $1 + $2, $3 / 1024 }' "$WORK/time"
}

# shellcheck source=lib/stats.sh
. "$(dirname "$0")/lib/stats.sh"

declare -A EFF RSS ACH CPU RRSS LAG50 LAG99 LAG999 DROP PEFF
# The tools measured over PROTO, loadgen first (h2load cannot speak HTTP/1.1 over TLS).
# Only tools named in TOOLS take part (`X-m10` goes with `X`).
proto_tools() {
    local all t
    case $1 in
        tls) all="loadgen wrk oha" ;;
        h2c | h2) all="loadgen h2load oha loadgen-m10 h2load-m10" ;;
    esac
    for t in $all; do [[ " $TOOLS " == *" ${t%-m10} "* ]] && echo -n "$t "; done
}
echo "nginx on CPU $NGINX_CPU, clients on CPU $CLIENT_CPU; $RUNS rounds x ${DUR}s; $CONNS connections" >&2
for round in $(seq "$RUNS"); do
    for tool in $TOOLS; do
        read -r n cpu rss < <(measure "$tool")
        eff=$(awk -v n="$n" -v c="$cpu" 'BEGIN { printf "%.0f", (c > 0 ? n / c : 0) }')
        printf 'round %d closed %-8s requests=%s cpu=%ss rss=%sMB -> %s req/CPU-s\n' "$round" "$tool" "$n" "$cpu" "$rss" "$eff" >&2
        EFF[$tool]="${EFF[$tool]:-} $eff"
        RSS[$tool]="${RSS[$tool]:-} $rss"
    done
    if [ "$JOURNEY" = 1 ] && [[ " $TOOLS " == *" loadgen "* ]]; then
        read -r n cpu rss < <(measure loadgen-journey)
        eff=$(awk -v n="$n" -v c="$cpu" 'BEGIN { printf "%.0f", (c > 0 ? n / c : 0) }')
        printf 'round %d journey  requests=%s cpu=%ss -> %s req/CPU-s\n' "$round" "$n" "$cpu" "$eff" >&2
        JEFF="${JEFF:-} $eff"
    fi
    for proto in $PROTOS; do
        for tool in $(proto_tools "$proto"); do
            read -r n cpu rss < <(measure "$tool" "$proto")
            eff=$(awk -v n="$n" -v c="$cpu" 'BEGIN { printf "%.0f", (c > 0 ? n / c : 0) }')
            printf 'round %d %-4s %-11s requests=%s cpu=%ss rss=%sMB -> %s req/CPU-s\n' "$round" "$proto" "$tool" "$n" "$cpu" "$rss" "$eff" >&2
            PEFF[$proto:$tool]="${PEFF[$proto:$tool]:-} $eff"
        done
    done
    for rate in $RATES; do
        for tool in $RATE_TOOLS; do
            read -r n cpu rss < <(measure "$tool" "$rate")
            ach=$(awk -v n="$n" -v d="$DUR" 'BEGIN { printf "%.0f", n / d }')
            k="$tool:$rate"
            printf 'round %d rate %s %-8s achieved=%s/s cpu=%ss rss=%sMB\n' "$round" "$rate" "$tool" "$ach" "$cpu" "$rss" >&2
            ACH[$k]="${ACH[$k]:-} $ach"
            CPU[$k]="${CPU[$k]:-} $(awk -v c="$cpu" -v n="$n" 'BEGIN { printf "%.2f", (n > 0 ? c * 1e6 / n : 0) }')"
            RRSS[$k]="${RRSS[$k]:-} $rss"
            if [ "$tool" = loadgen ]; then
                read -r l50 l99 l999 dropped < <(python3 -c "
import json
s = json.load(open('$WORK/lg/summary.json'))
w = s['workloads'][0]
l = w['schedule_lag']
print(l['p50'], l['p99'], l['p999'], w['dropped'])")
                printf '        lag p50=%sms p99=%sms p99.9=%sms dropped=%s\n' "$l50" "$l99" "$l999" "$dropped" >&2
                LAG50[$k]="${LAG50[$k]:-} $l50"
                LAG99[$k]="${LAG99[$k]:-} $l99"
                LAG999[$k]="${LAG999[$k]:-} $l999"
                DROP[$k]="${DROP[$k]:-} $dropped"
            fi
        done
    done
done

DATE=$(date -u +%Y-%m-%d)
mkdir -p "$ROOT/results"
REPORT="$ROOT/results/bench-peers-$DATE.md"
LG_EFF=$(echo "${EFF[loadgen]:-0}" | median)
{
    echo "# loadgen and its peers, $DATE"
    echo
    echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)."
    echo "nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') (one worker on CPU $NGINX_CPU); each client alone on CPU $CLIENT_CPU; $CONNS keep-alive connections; $RUNS interleaved rounds of ${DUR}s."
    echo "Requests counted by nginx's stub_status; CPU = user + system of the client; RSS = its peak."
    echo
    [ -n "$TOOLS" ] && echo "## Closed loop: requests per client CPU-second" && echo
    [ -n "$TOOLS" ] && echo "| tool | median | spread | RSS MB (median) | loadgen / tool |" && echo "|---|---:|---:|---:|---:|"
    for tool in $TOOLS; do
        med=$(echo "${EFF[$tool]}" | median)
        echo "| $tool | $(printf '%.0f' "$med") | $(echo "${EFF[$tool]}" | spread) | $(echo "${RSS[$tool]}" | median) | $(awk -v a="$LG_EFF" -v b="$med" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }') |"
    done
    echo
    for rate in $RATES; do
        LG_CPU=$(echo "${CPU[loadgen:$rate]:-0}" | median)
        echo "## Open model: asked for $rate requests/s"
        echo
        echo "| tool | achieved/s (median) | error vs target | spread | CPU µs / request | RSS MB | tool CPU / loadgen CPU |"
        echo "|---|---:|---:|---:|---:|---:|---:|"
        for tool in $RATE_TOOLS; do
            k="$tool:$rate"
            ach=$(echo "${ACH[$k]}" | median)
            cpu=$(echo "${CPU[$k]}" | median)
            echo "| $tool | $(printf '%.0f' "$ach") | $(awk -v a="$ach" -v r="$rate" 'BEGIN { printf "%+.2f%%", (a - r) * 100 / r }') | $(echo "${ACH[$k]}" | spread) | $cpu | $(echo "${RRSS[$k]}" | median) | $(awk -v a="$cpu" -v b="$LG_CPU" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }') |"
        done
        if [[ " $RATE_TOOLS " == *" loadgen "* ]]; then
            k="loadgen:$rate"
            echo
            echo "loadgen's schedule lag (medians over rounds): p50 $(echo "${LAG50[$k]}" | median) ms, p99 $(echo "${LAG99[$k]}" | median) ms (per round: ${LAG99[$k]# }), p99.9 $(echo "${LAG999[$k]}" | median) ms; dropped arrivals per round: ${DROP[$k]# }."
        fi
        echo
    done
    if [ -n "${JEFF:-}" ]; then
        jm=$(echo "$JEFF" | median)
        echo "## Journey: 3 steps, each capturing the id of its JSON answer"
        echo
        echo "loadgen, $CONNS VUs: $(printf '%.0f' "$jm") requests per client CPU-second (spread $(echo "$JEFF" | spread)); the single-step closed loop in the same rounds: $(printf '%.0f' "$LG_EFF"); ratio $(awk -v a="$jm" -v b="$LG_EFF" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }') (goal 0.85x)."
        echo
    fi
    for proto in $PROTOS; do
        case $proto in
            tls) echo "## Closed loop, HTTP/1.1 over TLS: requests per client CPU-second" ;;
            h2c) echo "## Closed loop, HTTP/2 cleartext (h2c): requests per client CPU-second" ;;
            h2) echo "## Closed loop, HTTP/2 over TLS: requests per client CPU-second" ;;
        esac
        echo
        echo "| tool | median | spread | loadgen / tool |"
        echo "|---|---:|---:|---:|"
        for tool in $(proto_tools "$proto"); do
            med=$(echo "${PEFF[$proto:$tool]}" | median)
            base=loadgen; [[ $tool == *-m10 ]] && base=loadgen-m10
            lg=$(echo "${PEFF[$proto:$base]}" | median)
            echo "| $tool | $(printf '%.0f' "$med") | $(echo "${PEFF[$proto:$tool]}" | spread) | $(awk -v a="$lg" -v b="$med" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }') |"
        done
        echo
        if [ "$proto" != tls ]; then echo "-m10 rows: h2load with 10 streams on each of $CONNS connections; loadgen-m10 with $((CONNS * 10)) VUs sharing connections ten at a time ([http] streams_per_connection = 10)."; echo; fi
    done
    echo "Reproduce: \`RUNS=$RUNS DUR=$DUR RATES=\"$RATES\" TOOLS=\"$TOOLS\" RATE_TOOLS=\"$RATE_TOOLS\" PROTOS=\"$PROTOS\" scripts/bench-peers.sh\`"
} | tee "$REPORT"
echo "written: $REPORT (raw: $WORK)" >&2
