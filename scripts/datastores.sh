#!/usr/bin/env bash
# Throwaway data stores for a person trying the data-store scenarios on this machine.
#
#   scripts/datastores.sh up      # starts them, prints the variables to export
#   eval "$(scripts/datastores.sh up)"
#   scripts/datastores.sh down    # stops them and removes their files
#   scripts/datastores.sh status
#
# Each store keeps nothing on disk beyond its state folder (STATE, default
# ${XDG_RUNTIME_DIR:-/tmp}/loadgen-datastores) and listens on loopback only. A store whose
# server program is missing is installed with apt-get when running as root, else named with
# its install command. Each store has its own up/down/status functions below, so adding one
# touches nothing of the others.
set -euo pipefail

STATE=${STATE:-${XDG_RUNTIME_DIR:-/tmp}/loadgen-datastores}
mkdir -p "$STATE"

need() {
    local program=$1 package=$2
    command -v "$program" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "datastores.sh: installing $package (apt)" >&2
        (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends "$package") >&2
    fi
    command -v "$program" >/dev/null 2>&1 || {
        echo "datastores.sh: $program is missing; install it with: apt-get install $package" >&2
        return 1
    }
}

# ------------------------------------------------------------------ Redis
# REDIS_PORT (default 6390, away from a system Redis on 6379). Nothing is saved
# (--save '' --appendonly no); DEBUG is allowed from loopback for the fault examples.
REDIS_PORT=${REDIS_PORT:-6390}

redis_up() {
    need redis-server redis-server || return 1
    local dir="$STATE/redis-$REDIS_PORT"
    mkdir -p "$dir"
    if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
        echo "datastores.sh: Redis already answers on 127.0.0.1:$REDIS_PORT" >&2
    else
        redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
            --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" \
            --logfile "$dir/redis.log" --enable-debug-command local >/dev/null
        for _ in $(seq 100); do
            redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
            sleep 0.1
        done
        redis-cli -p "$REDIS_PORT" ping >/dev/null || {
            echo "datastores.sh: Redis did not start; see $dir/redis.log" >&2
            return 1
        }
        echo "datastores.sh: Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on 127.0.0.1:$REDIS_PORT" >&2
    fi
    echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
}

redis_down() {
    local dir="$STATE/redis-$REDIS_PORT"
    if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
        redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
        echo "datastores.sh: Redis on 127.0.0.1:$REDIS_PORT stopped" >&2
    fi
    rm -rf "$dir"
}

redis_status() {
    if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
        echo "redis: up, REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
    else
        echo "redis: down"
    fi
}

# ------------------------------------------------------------------ dispatch
STORES=${STORES:-redis}
case "${1:-}" in
    up | down | status)
        for store in $STORES; do "${store}_$1"; done
        ;;
    *)
        echo "usage: $0 up|down|status   (STORES=\"$STORES\")" >&2
        exit 2
        ;;
esac
