#!/usr/bin/env bash
# Two loadgen binaries side by side on the open model (interleaved rounds), against nginx on
# CPU 0 with each client alone on CPU 1 (as scripts/bench-open-model.sh): client CPU per
# request (user + system, /usr/bin/time), requests per wake-up (voluntary context switches),
# schedule lag, latency and service time from summary.json.
#
#   OLD=/path/to/loadgen-before NEW=target/release/loadgen scripts/bench-paced-reads.sh
#   ROUNDS=3 DUR=5 RATES="20000 50000" (the defaults)
#
# Written for paced reads (docs/performance.md, "Paced reads"): OLD a build before them.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/lib/nginx.sh"
W=$(mktemp -d /tmp/bench-paced-reads.XXXXXX)
start_nginx "$W" 8089 0 "$(command -v nginx || echo /usr/sbin/nginx)"
trap stop_nginx EXIT
OLD=${OLD:?OLD=a loadgen binary to compare with} NEW=${NEW:-$ROOT/target/release/loadgen}
for rate in ${RATES:-20000 50000}; do for r in $(seq ${ROUNDS:-3}); do for v in old new; do
  B=$OLD; [ $v = new ] && B=$NEW
  d=$W/$v-$rate-$r
  /usr/bin/time -f "%U %S %w" -o $d.time taskset -c 1 $B run --url http://127.0.0.1:8089/ --rate $rate/s --vus 200 --duration ${DUR:-5}s --threads 1 --quiet --out $d >/dev/null 2>&1
  python3 - $d $v $rate <<'PY'
import json,sys
d=sys.argv[1]; j=json.load(open(d+'/summary.json')); s=j['steps'][0]
u,sy,w=open(d+'.time').read().split()
n=s['count']; cpu=(float(u)+float(sy))/n*1e6
lag=j['workloads'][0]['schedule_lag']
print(f"{sys.argv[2]} {sys.argv[3]} n={n} cpu_us={cpu:.2f} user={float(u):.2f} sys={float(sy):.2f} req/wake={n/int(w):.1f} lag_p99={lag['p99']} lag_p999={lag['p999']} lat_p50={s['latency']['p50']} lat_p99={s['latency']['p99']} svc_p50={s['service_time']['p50']} svc_p99={s['service_time']['p99']} err={j['totals']['errors']}")
PY
done; done; done
