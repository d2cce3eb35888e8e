#!/usr/bin/env bash
# Release gate for CI: run a scenario against a service and fail the job when the SLA does not
# hold. Usage:
#   TARGET_URL=https://staging.example.com scripts/ci-gate.sh scenarios/staging-kpis.toml [results-dir] [baseline-dir]
# Exit codes pass through from loadgen: 0 passed, 3 thresholds failed (or a regression against
# the baseline), 2 bad scenario, 1 internal error, 130 interrupted. The results folder (summary,
# junit.xml, timeseries.csv, latency.hlog) is left for the CI system to upload as an artifact.
set -uo pipefail
scenario=${1:?usage: ci-gate.sh SCENARIO [RESULTS_DIR] [BASELINE_DIR]}
out=${2:-results/ci-gate}
baseline=${3:-}
loadgen=${LOADGEN:-loadgen}
if ! command -v "$loadgen" >/dev/null 2>&1; then
    cargo build --release -p loadgen >&2 || exit 1
    loadgen=target/release/loadgen
fi
"$loadgen" run "$scenario" --out "$out" --force
code=$?
if [ "$code" -eq 0 ] && [ -n "$baseline" ] && [ -f "$baseline/summary.json" ]; then
    "$loadgen" compare "$baseline" "$out" --fail-if 'p(99) > +10%' --fail-if 'error_rate > +0.1%'
    code=$?
fi
case $code in
    0) echo "ci-gate: SLA held" ;;
    3) echo "ci-gate: SLA failed (or regressed) — see $out/summary.txt and $out/junit.xml" ;;
    *) echo "ci-gate: loadgen exited $code" ;;
esac
exit "$code"
