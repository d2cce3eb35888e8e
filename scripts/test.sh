#!/usr/bin/env bash
# The test command (README, and .ci/run): installs the peers the tests use, then runs the
# whole workspace's tests. An install failure is reported, not fatal.
set -euo pipefail
cd "$(dirname "$0")/.."
# Rules first, fast: unformatted code or any clippy warning fails the run before the tests.
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# Debian packages the tests use as real peers; each test skips with a note without them.
#   nginx     HTTP/1.1 conformance of both client paths
#   promtool  (package prometheus) Prometheus's own parser for --metrics-addr output
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "test.sh: installing ${missing[*]} for the peer tests" >&2
        (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}") >&2 \
            || echo "test.sh: install failed; the tests that need ${missing[*]} will skip" >&2
    else
        echo "test.sh: ${missing[*]} missing and cannot be installed here; those tests will skip" >&2
    fi
fi
# Python's HdrHistogram library decodes latency.hlog in a cross-language test.
if command -v python3 >/dev/null 2>&1 && ! python3 -c "import hdrh" 2>/dev/null; then
    python3 -m pip install -q hdrhistogram >&2 || echo "test.sh: pip install hdrhistogram failed; that check will skip" >&2
fi
# Stripe's and Standard Webhooks' own Python libraries verify the webhook signatures.
if command -v python3 >/dev/null 2>&1 && ! python3 -c "import stripe, standardwebhooks" 2>/dev/null; then
    python3 -m pip install -q stripe standardwebhooks >&2 || echo "test.sh: pip install stripe standardwebhooks failed; that check will skip" >&2
fi
# Python's `websockets` is the independent WebSocket server the ws tests compare counts with.
if command -v python3 >/dev/null 2>&1 && ! python3 -c "import websockets" 2>/dev/null; then
    python3 -m pip install -q websockets >&2 || echo "test.sh: pip install websockets failed; that check will skip" >&2
fi
exec cargo test --workspace --locked "$@"
