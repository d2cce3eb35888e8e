#!/usr/bin/env bash
# loadgen against the data stores' own benchmark tools, server pinned to one CPU and client to
# the other: PostgreSQL vs pgbench (scripts/bench-postgres.sh) and Redis vs redis-benchmark
# (scripts/bench-redis.sh). Each script says what it measures and writes its results to
# results/.
#
#   scripts/bench-datastores.sh [postgres] [redis]     # default: both
set -euo pipefail
cd "$(dirname "$0")"
for store in "${@:-postgres redis}"; do
    for s in $store; do
        case "$s" in
            postgres | redis) "./bench-$s.sh" ;;
            *) echo "bench-datastores.sh: unknown store '$s' (postgres, redis)" >&2; exit 2 ;;
        esac
    done
done
