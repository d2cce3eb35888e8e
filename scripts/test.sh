#!/usr/bin/env bash
# The test command (README, and .ci/run): installs the real peers the tests check loadgen
# against and checks every one again, checks formatting and clippy, then runs the whole
# workspace's tests.
#
# Under CI (CI set to anything but 0/false/no; .ci/run sets CI=true) a peer still missing
# after the install fails the run here, before any test, naming it and how to install it —
# and each test that needs it fails too (crates/testkit). Elsewhere the missing peers are
# listed and their tests are skipped with a note.
#
# LOADGEN_PEERS_HIDE=nginx,hdrh makes the named peers count as missing (and not installed),
# to try this on a machine that has them; LOADGEN_PEERS_INSTALL=0 only checks, installing
# nothing. Arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

# name | how it is found (bin:PROGRAM, py:MODULE, or pg:PROGRAM: a PostgreSQL server program) | package (apt:NAME or pip:NAME) | what it checks
peers=(
    "nginx|bin:nginx|apt:nginx|HTTP/1.1 and h2c conformance of both client paths; mutual TLS and proxies"
    "promtool|bin:promtool|apt:prometheus|Prometheus's own parser on the --metrics-addr text"
    "openssl|bin:openssl|apt:openssl|the certificate a worker is pinned by"
    "hdrh|py:hdrh|pip:hdrhistogram|latency.hlog decoded by another language's HdrHistogram"
    "stripe|py:stripe|pip:stripe|Stripe's library verifies the webhook signatures"
    "standardwebhooks|py:standardwebhooks|pip:standardwebhooks|Standard Webhooks' library verifies them"
    "websockets|py:websockets|pip:websockets|an independent WebSocket server for the ws counts"
    "postgresql|pg:initdb|apt:postgresql|throwaway PostgreSQL servers for loadgen-pg (counts, SQLSTATE classes, faults)"
)
# Redis (crates/redis, docs/redis.md): throwaway redis-server instances on free ports; the
# package also brings redis-cli and redis-benchmark (scripts/bench-datastores.sh).
peers+=(
    "redis-server|bin:redis-server|apt:redis-server|throwaway Redis servers: counts against INFO stats, faults, TLS"
)
# Headless Chromium opens the live dashboard (crates/cli/tests/dashboard.rs, docs/dashboard.md)
# and report.html with its step picker (crates/report/tests/report_html.rs).
peers+=(
    "chromium|bin:chromium|apt:chromium|headless Chromium opens the live --dashboard page mid-run and at the end, and report.html at two steps"
)

under_ci() {
    case "$(printf '%s' "${CI:-}" | tr '[:upper:]' '[:lower:]' | tr -d '[:space:]')" in
        "" | 0 | false | no) return 1 ;;
        *) return 0 ;;
    esac
}

hidden() { [[ ",${LOADGEN_PEERS_HIDE:-}," == *",$1,"* ]]; }

# Where the tests look (crates/testkit): PATH, then the sbin folders a non-root PATH lacks.
have_program() {
    command -v "$1" >/dev/null 2>&1 && return 0
    local d
    for d in /usr/local/sbin /usr/sbin /sbin; do [ -x "$d/$1" ] && return 0; done
    return 1
}

# PostgreSQL's server programs: Debian keeps them in /usr/lib/postgresql/N/bin, off PATH
# (crates/testkit looks there first, then on PATH).
have_pg_program() {
    local f
    for f in /usr/lib/postgresql/*/bin/"$1"; do [ -x "$f" ] && return 0; done
    have_program "$1"
}

# Is the peer described by one `peers` line there? Hidden peers are not.
present() {
    local name probe
    IFS='|' read -r name probe _ _ <<<"$1"
    hidden "$name" && return 1
    case "$probe" in
        bin:*) have_program "${probe#bin:}" ;;
        pg:*) have_pg_program "${probe#pg:}" ;;
        py:*) have_program python3 && python3 -c "import ${probe#py:}" >/dev/null 2>&1 ;;
    esac
}

missing_peers() {
    local line
    for line in "${peers[@]}"; do present "$line" || echo "$line"; done
}

# 1. Install what is missing (hidden peers stand for "absent and not installable").
apt_pkgs=()
pip_pkgs=()
[ "${LOADGEN_PEERS_INSTALL:-1}" = 0 ] || while IFS= read -r line; do
    [ -n "$line" ] || continue
    IFS='|' read -r name _ package _ <<<"$line"
    hidden "$name" && continue
    case "$package" in
        apt:*) apt_pkgs+=("${package#apt:}") ;;
        pip:*) pip_pkgs+=("${package#pip:}") ;;
    esac
done < <(missing_peers)
if [ ${#pip_pkgs[@]} -gt 0 ] && ! have_program python3; then
    apt_pkgs+=(python3 python3-pip)
fi
if [ ${#apt_pkgs[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && have_program apt-get; then
        echo "test.sh: installing ${apt_pkgs[*]} (apt)" >&2
        (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends "${apt_pkgs[@]}") >&2 || echo "test.sh: apt-get install failed" >&2
    else
        echo "test.sh: cannot install ${apt_pkgs[*]} here (needs root and apt-get)" >&2
    fi
fi
if [ ${#pip_pkgs[@]} -gt 0 ] && have_program python3; then
    echo "test.sh: installing ${pip_pkgs[*]} (pip)" >&2
    # Debian's own python3 refuses a plain `pip install` (PEP 668); a CI machine is ours to change.
    python3 -m pip install -q "${pip_pkgs[@]}" >&2 \
        || python3 -m pip install -q --break-system-packages "${pip_pkgs[@]}" >&2 \
        || echo "test.sh: pip install failed" >&2
fi

# 2. Check every peer again: an install that "worked" but left no usable peer counts.
still=()
while IFS= read -r line; do
    [ -n "$line" ] || continue
    IFS='|' read -r name probe package purpose <<<"$line"
    why="not found"
    hidden "$name" && why="hidden by LOADGEN_PEERS_HIDE"
    case "$package" in
        apt:*) how="apt-get install ${package#apt:}" ;;
        pip:*) how="python3 -m pip install ${package#pip:}" ;;
    esac
    still+=("$name ($why; $purpose) — install: $how")
done < <(missing_peers)
if [ ${#still[@]} -gt 0 ]; then
    if under_ci; then
        echo "test.sh: FAILED: under CI (CI=${CI}) every peer must be present, and these are missing:" >&2
        printf '  %s\n' "${still[@]}" >&2
        exit 1
    fi
    echo "test.sh: these peers are missing; the tests that need them will be SKIPPED (under CI they fail):" >&2
    printf '  %s\n' "${still[@]}" >&2
fi
# Rules next, fast: unformatted code or any clippy warning fails the run before the tests.
cargo fmt --all --check
# No two modules of a crate import each other (directly or round a circle).
python3 scripts/module-cycles.py
cargo clippy --workspace --all-targets --locked -- -D warnings
exec cargo test --workspace --locked "$@"
