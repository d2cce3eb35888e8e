#!/usr/bin/env bash
# Throwaway data stores on loopback for trying the data-store scenarios by hand
# (scenarios/db-throughput.toml, scenarios/redis-sessions.toml): `scripts/datastores.sh up` starts them and prints the
# variables to export; `scripts/datastores.sh down` stops them and deletes their data.
#
#   scripts/datastores.sh up [postgres|redis]     start (installing from Debian's packages if missing, as root)
#   eval "$(scripts/datastores.sh up)"             ... and export DATABASE_URL and REDIS_URL
#   scripts/datastores.sh down [postgres|redis]   stop and delete
#   scripts/datastores.sh status            what is running
#
# Data lives in .datastores/ (ignored by git). Ports: LOADGEN_PG_PORT (55432), REDIS_PORT (6390). Servers listen
# on 127.0.0.1 only. Tests do not use this script: they start their own (crates/testkit).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD/.datastores"

# Each data store adds its name here and its own <name>_up / <name>_down / <name>_status.
STORES=(postgres redis)

have() { command -v "$1" >/dev/null 2>&1; }

# Installs a Debian package when missing (root only); says what to do otherwise.
apt_install() {
    if [ "$(id -u)" = 0 ] && have apt-get; then
        echo "datastores.sh: installing $* (apt)" >&2
        apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends "$@" >&2
    else
        echo "datastores.sh: please install $* (apt-get install $*)" >&2
        return 1
    fi
}

# A program from a Debian package, installed when missing (root only).
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

# Runs a command as the user that owns the data (servers refuse to run as root).
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u "${OWNER:-postgres}" -- "$@"; else "$@"; fi
}

# --- PostgreSQL -----------------------------------------------------------------------------
PG_PORT="${LOADGEN_PG_PORT:-55432}"
PG_DIR="$ROOT/postgres"
PG_USER=loadgen
PG_PASSWORD=loadgen
PG_DB=loadgen

pg_bindir() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/initdb" ] && { echo "$d"; return 0; }
    done
    have initdb && { dirname "$(command -v initdb)"; return 0; }
    return 1
}

pg_url() { echo "postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB?sslmode=disable"; }

postgres_up() {
    local bin
    bin="$(pg_bindir)" || { apt_install postgresql && bin="$(pg_bindir)"; } || return 1
    mkdir -p "$PG_DIR"
    if [ "$(id -u)" = 0 ]; then chown postgres "$ROOT" "$PG_DIR"; fi
    if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
        printf '%s' "$PG_PASSWORD" >"$PG_DIR/pw"
        [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR/pw"
        as_owner "$bin/initdb" -D "$PG_DIR/data" -U "$PG_USER" --auth=scram-sha-256 \
            --pwfile="$PG_DIR/pw" -E UTF8 --locale=C >"$PG_DIR/initdb.log"
    fi
    if ! as_owner "$bin/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
        as_owner "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w start \
            -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null
    fi
    PGPASSWORD="$PG_PASSWORD" "$bin/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres \
        -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1 ||
        PGPASSWORD="$PG_PASSWORD" "$bin/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres \
            -c "CREATE DATABASE $PG_DB" >/dev/null
    echo "export DATABASE_URL='$(pg_url)'"
}

postgres_down() {
    local bin
    bin="$(pg_bindir)" || true
    if [ -n "${bin:-}" ] && [ -f "$PG_DIR/data/PG_VERSION" ]; then
        as_owner "$bin/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PG_DIR"
    echo "postgres: stopped, data deleted" >&2
}

postgres_status() {
    local bin
    if bin="$(pg_bindir)" && [ -f "$PG_DIR/data/PG_VERSION" ] &&
        as_owner "$bin/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
        echo "postgres: running, DATABASE_URL=$(pg_url)"
    else
        echo "postgres: not running"
    fi
}

# --- Redis ----------------------------------------------------------------------------------
# REDIS_PORT (default 6390, away from a system Redis on 6379). Nothing is saved
# (--save '' --appendonly no); DEBUG is allowed from loopback for the fault examples.
REDIS_PORT=${REDIS_PORT:-6390}

redis_up() {
    need redis-server redis-server || return 1
    local dir="$ROOT/redis-$REDIS_PORT"
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
    local dir="$ROOT/redis-$REDIS_PORT"
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

# --- dispatch -------------------------------------------------------------------------------
cmd="${1:-}"
shift || true
which=("${@:-${STORES[@]}}")
case "$cmd" in
    up | down | status) ;;
    *)
        echo "usage: scripts/datastores.sh up|down|status [${STORES[*]}]" >&2
        exit 2
        ;;
esac
for s in "${which[@]}"; do
    [[ " ${STORES[*]} " == *" $s "* ]] || { echo "datastores.sh: unknown store '$s' (${STORES[*]})" >&2; exit 2; }
    "${s}_${cmd}"
done
[ "$cmd" != down ] || rmdir "$ROOT" 2>/dev/null || true
