#!/usr/bin/env bash
# The test command (README, and .ci/run): installs the peers the tests use, then runs the
# whole workspace's tests. nginx (Debian's) backs the HTTP/1.1 conformance tests; without it
# those tests print a note and skip, so an install failure is reported, not fatal.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "test.sh: installing nginx for the HTTP conformance tests" >&2
        (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx) >&2 \
            || echo "test.sh: nginx install failed; its conformance tests will skip" >&2
    else
        echo "test.sh: nginx missing and cannot be installed here; its conformance tests will skip" >&2
    fi
fi
exec cargo test --workspace --locked "$@"
