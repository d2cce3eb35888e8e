#!/usr/bin/env bash
# Records tests/fixtures/payment-journey.har: a real recorder (mitmproxy's mitmdump, as a
# reverse proxy) in front of the demo target started with `--auth required`, driven by curl
# through a payment journey — log in, create a payment, read it back, refund it — with short
# pauses between the requests, like a person clicking.
#
#   scripts/record-har.sh [OUT.har]         # default tests/fixtures/payment-journey.har
#
# Installs mitmproxy (pinned: MITMPROXY_VERSION, 11.0.2, the last for Python 3.11) into a
# virtual environment under target/ when `mitmdump` is missing. Environment: LOADGEN (a
# loadgen binary; default: build this checkout's), TARGET_PORT (18321), PROXY_PORT (18322).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/tests/fixtures/payment-journey.har}
TARGET_PORT=${TARGET_PORT:-18321}
PROXY_PORT=${PROXY_PORT:-18322}
MITMPROXY_VERSION=${MITMPROXY_VERSION:-11.0.2}
if [ -z "${LOADGEN:-}" ]; then
    (cd "$ROOT" && cargo build --release -q -p loadgen)
    LOADGEN=$ROOT/target/release/loadgen
fi
MITMDUMP=$(command -v mitmdump || true)
if [ -z "$MITMDUMP" ]; then
    VENV=$ROOT/target/mitmproxy-$MITMPROXY_VERSION
    [ -x "$VENV/bin/mitmdump" ] || {
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q "mitmproxy==$MITMPROXY_VERSION"
    }
    MITMDUMP=$VENV/bin/mitmdump
fi
WORK=$(mktemp -d /tmp/loadgen-record-har.XXXXXX)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

wait_port() {
    local i
    for i in $(seq 100); do
        (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "record-har.sh: nothing listens on port $1" >&2
    return 1
}

"$LOADGEN" target --listen "127.0.0.1:$TARGET_PORT" --auth required >"$WORK/target.log" 2>&1 &
PIDS+=($!)
wait_port "$TARGET_PORT"
# --set hardump writes the HAR when mitmdump exits; keep the bodies as they were sent.
"$MITMDUMP" --mode "reverse:http://127.0.0.1:$TARGET_PORT" --listen-host 127.0.0.1 \
    --listen-port "$PROXY_PORT" --set hardump="$WORK/out.har" --set confdir="$WORK/mitm" \
    -q >"$WORK/mitm.log" 2>&1 &
MITM=$!
PIDS+=("$MITM")
wait_port "$PROXY_PORT"

API=http://127.0.0.1:$PROXY_PORT
json() { python3 -c "import json, sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
TOKEN=$(curl -sf "$API/api/login" -H 'Content-Type: application/json' \
    -d '{"user": "shopper-7", "password": "demo"}' | json token)
sleep 0.4
ID=$(curl -sf "$API/api/payments" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' \
    -d '{"amount": 4999, "currency": "AUD", "customer_id": "cus_123"}' | json id)
sleep 0.3
curl -sf "$API/api/payments/$ID" -H "Authorization: Bearer $TOKEN" >/dev/null
sleep 0.25
curl -sf -X POST "$API/api/payments/$ID/refund" -H "Authorization: Bearer $TOKEN" >/dev/null

kill -INT "$MITM"
wait "$MITM" || true
[ -s "$WORK/out.har" ] || { echo "record-har.sh: mitmdump wrote no HAR" >&2; cat "$WORK/mitm.log" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
python3 -m json.tool "$WORK/out.har" >"$OUT"
echo "recorded $(python3 -c "import json, sys; print(len(json.load(open(sys.argv[1]))['log']['entries']))" "$OUT") requests: $OUT" >&2
