#!/usr/bin/env bash
# Renders a results folder's report.html to a PNG with headless Chromium (Debian's chromium,
# installed if missing) so the page can be looked at without a browser.
#   scripts/render-report.sh results/ecommerce-burst-…/ [out.png]
set -euo pipefail
dir=${1:?usage: render-report.sh RESULTS_DIR [OUT.png]}
png=${2:-$dir/report.png}
if ! command -v chromium >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >&2
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --window-size=1000,2200 \
    --screenshot="$(realpath -m "$png")" "file://$(realpath "$dir")/report.html" 2>/dev/null
echo "$png"
