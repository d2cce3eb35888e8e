#!/usr/bin/env bash
# Many connections and big answers: loadgen beside wrk and oha in a closed loop against nginx
# (one worker on SERVER_CPU, each client alone on CLIENT_CPU), in three shapes:
#   1,000 connections and 10,000 connections asking for a 2-byte answer, and
#   50 connections asking for a 1 MiB answer (`/1m`).
# Per tool and shape: requests/s (nginx's count), requests and MiB per client CPU-second, peak
# RSS. 10,000 connections need ~10,000 client sockets and as many on nginx: this machine allows
# 20,000 open files per process and 28k ephemeral ports per source/destination pair, so 10,000
# is the most one client address can hold here with room to spare.
#
#   scripts/bench-scale.sh                       # 3 interleaved rounds of 10 s
#   RUNS=1 DUR=5 SHAPES="1000 1m" scripts/bench-scale.sh
#
# Environment: RUNS (3), DUR (10), SHAPES ("1000 10000 1m"), TOOLS ("loadgen wrk oha"),
# PORT (8093), SERVER_CPU (0), CLIENT_CPU (1), COOLDOWN (3), CARGO_TARGET_DIR.
set -euo pipefail
RUNS=${RUNS:-3}
DUR=${DUR:-10}
SHAPES=${SHAPES:-"1000 10000 1m"}
TOOLS=${TOOLS:-"loadgen wrk oha"}
PORT=${PORT:-8093}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
COOLDOWN=${COOLDOWN:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release -q -p loadgen --manifest-path "$ROOT/Cargo.toml"
LOADGEN=$CARGO_TARGET_DIR/release/loadgen
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
ulimit -n "$(ulimit -Hn)"

WORK=$(mktemp -d /tmp/bench-scale.XXXXXX)
NGINX_PID=""
trap stop_nginx EXIT INT TERM
# shellcheck source=lib/nginx.sh
. "$(dirname "$0")/lib/nginx.sh"
NGINX_WORKER_CONNECTIONS=12000 start_nginx "$WORK" "$PORT" "$SERVER_CPU" "$NGINX" || exit 1

present=""
for tool in $TOOLS; do
    [ "$tool" = loadgen ] || command -v "$tool" >/dev/null || { echo "skipping $tool: not installed (scripts/bench-peers.sh installs it)" >&2; continue; }
    present+=" $tool"
done
TOOLS=${present# }

# shape -> "connections path answer_bytes"
shape() {
    case $1 in
        1m) echo "50 /1m 1048576" ;;
        *) echo "$1 / 2" ;;
    esac
}

command_of() {
    local tool=$1 conns=$2 url=$3
    case $tool in
        loadgen) echo "$LOADGEN run --url $url --vus $conns --duration ${DUR}s --threads 1 --quiet --out $WORK/lg" ;;
        wrk) echo "wrk -t1 -c$conns -d${DUR}s $url" ;;
        oha) echo "oha --no-tui -z ${DUR}s -c $conns $url" ;;
    esac
}

# shellcheck source=lib/stats.sh
. "$(dirname "$0")/lib/stats.sh"
declare -A RPS EFF MIB RSS
for round in $(seq "$RUNS"); do
    for s in $SHAPES; do
        read -r conns path bytes < <(shape "$s")
        for tool in $TOOLS; do
            sleep "$COOLDOWN"
            rm -rf "$WORK/lg"
            before=$(served)
            # shellcheck disable=SC2046
            /usr/bin/time -f '%U %S %M' -o "$WORK/time" taskset -c "$CLIENT_CPU" \
                $(command_of "$tool" "$conns" "http://127.0.0.1:$PORT$path") >"$WORK/out" 2>&1 || true
            after=$(served)
            read -r rps eff mib rss < <(awk -v n=$((after - before - 1)) -v d="$DUR" -v b="$bytes" \
                '{ c = $1 + $2; printf "%.0f %.0f %.1f %.1f\n", n / d, (c > 0 ? n / c : 0), (c > 0 ? n * b / c / 1048576 : 0), $3 / 1024 }' "$WORK/time")
            printf 'round %d %-6s %-8s %s req/s, %s req/CPU-s, %s MiB/CPU-s, RSS %s MB\n' "$round" "$s" "$tool" "$rps" "$eff" "$mib" "$rss" >&2
            k="$s:$tool"
            RPS[$k]="${RPS[$k]:-} $rps"; EFF[$k]="${EFF[$k]:-} $eff"; MIB[$k]="${MIB[$k]:-} $mib"; RSS[$k]="${RSS[$k]:-} $rss"
        done
    done
done

DATE=$(date -u +%Y-%m-%d)
mkdir -p "$ROOT/results"
REPORT="$ROOT/results/bench-scale-$DATE.md"
{
    echo "# Many connections and big answers, $DATE"
    echo
    echo "nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') (one worker on CPU $SERVER_CPU); each client alone on CPU $CLIENT_CPU, one thread; closed loop; medians of $RUNS interleaved rounds of ${DUR}s. Requests counted by nginx."
    echo
    echo "| shape | tool | requests/s | requests per CPU-s | MiB per CPU-s | peak RSS MB | loadgen / tool (per CPU-s) |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    for s in $SHAPES; do
        read -r conns path bytes < <(shape "$s")
        lg=$(echo "${EFF[$s:loadgen]:-0}" | median)
        label="$conns connections, $([ "$bytes" -gt 2 ] && echo "1 MiB answers" || echo "2-byte answers")"
        for tool in $TOOLS; do
            k="$s:$tool"
            e=$(echo "${EFF[$k]}" | median)
            echo "| $label | $tool | $(echo "${RPS[$k]}" | median) | $e | $(echo "${MIB[$k]}" | median) | $(echo "${RSS[$k]}" | median) | $(awk -v a="$lg" -v b="$e" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }') |"
        done
    done
    echo
    echo "Reproduce: \`RUNS=$RUNS DUR=$DUR SHAPES=\"$SHAPES\" TOOLS=\"$TOOLS\" scripts/bench-scale.sh\`"
} | tee "$REPORT"
echo "written: $REPORT (raw: $WORK)" >&2
