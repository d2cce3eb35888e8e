#!/usr/bin/env bash
# Replays the hostile and careless inputs of issue 17 (items 1–15) against the release binary
# and prints one line per item: ok or FAIL against the expected outcome, with the exit codes
# seen. Not part of CI: it starts real targets, workers and coordinators on loopback
# (127.0.0.1–.3) and takes a minute or two. Every command runs under `timeout`.
#
#   scripts/abuse.sh                          # builds target/release/loadgen first
#   LOADGEN=target/debug/loadgen scripts/abuse.sh
#
# Exit code: the number of FAIL lines (0: every item behaved as expected).
set -uo pipefail
T=${ABUSE_TIMEOUT:-30}
loadgen=${LOADGEN:-}
if [ -z "$loadgen" ]; then
    timeout 3600 cargo build --release -p loadgen >&2 || exit 100
    loadgen=target/release/loadgen
fi
loadgen=$(cd "$(dirname "$loadgen")" && pwd)/$(basename "$loadgen")
work=$(mktemp -d /tmp/loadgen-abuse.XXXXXX)
cd "$work" || exit 100
export LOADGEN_SECRET=abuse-secret-0123456789abcdef
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    cd / && rm -rf "$work"
}
trap cleanup EXIT
fails=0

# report ITEM OK? EXITS WHAT
report() {
    local verdict=ok
    [ "$2" = 1 ] || { verdict=FAIL; fails=$((fails + 1)); }
    printf '%-3s %-4s exit %-9s %s\n' "$1" "$verdict" "$3" "$4"
}
lg() { timeout "$T" "$loadgen" "$@"; }
# A scenario: NAME RATE [STEP_NAME] [EXTRA_TOP_LEVEL] (an open workload of GET /health).
scen() {
    printf 'name = "%s"\nduration = "1s"\n%s\n[[workload]]\nname = "w"\nmodel = "open"\nrate = "%s"\nmax_vus = 5\n[[workload.step]]\nname = "%s"\nhttp = { method = "GET", path = "/health" }\n' \
        "$1" "${4:-}" "$2" "${3:-s}"
}
# Waits up to 20 s for a line matching PATTERN in FILE; prints the last word of it.
line_of() {
    for _ in $(seq 200); do
        if grep -q "$2" "$1" 2>/dev/null; then
            grep "$2" "$1" | head -1 | awk '{print $NF}'
            return 0
        fi
        sleep 0.1
    done
    return 1
}
start() { # LOG ARGS… : a background loadgen process
    local log=$1
    shift
    timeout 120 "$loadgen" "$@" >"$log" 2>&1 &
    pids+=($!)
}
counters() { curl -s --max-time 5 "$1/__counters"; }
is() { [ "$1" = "$2" ] && echo 1 || echo 0; }

# 1. Overload is refused with the arithmetic, not run into memory exhaustion.
scen r12 1e12/s >r12.toml
scen r8 100000000/s >r8.toml
lg validate r12.toml >o1a 2>&1; a=$?
lg run r8.toml --out o1 >o1b 2>&1; b=$?
report 1 "$(is "$a$b" 22)" "$a,$b" 'rate 1e12/s (validate) and 1e8/s (run) refused over the 10M/s ceiling'

# 2. Thread counts and an --out that cannot be made are bad input.
scen ok 5/s >ok.toml
touch plainfile
lg run ok.toml --threads 0 --out o2a >o2 2>&1; a=$?
lg run ok.toml --threads 100000 --out o2b >o2 2>&1; b=$?
lg run ok.toml --out plainfile/sub >o2 2>&1; c=$?
report 2 "$(is "$a$b$c" 222)" "$a,$b,$c" '--threads 0, --threads 100000, --out under a regular file'

# 3. A zero rate is refused, not reported as a busy worker.
scen zero 0/s >zero.toml
lg run zero.toml --out o3 >o3 2>&1; a=$?
report 3 "$(is "$a" 2)" "$a" 'rate = "0/s"'

# 4. A 300-character name and a NUL in a step name: refused, or run with files that work.
long=$(printf 'a%.0s' $(seq 300))
scen "$long" 5/s >long.toml
scen nul 5/s 'a\u0000b' >nul.toml
mkdir -p o4
(cd o4 && timeout "$T" "$loadgen" run ../long.toml >../o4a.log 2>&1); a=$?
lg run nul.toml --out o4b >o4b.log 2>&1; b=$?
okname=0
{ [ "$a" = 2 ] || { [ "$a" = 0 ] && ls o4/results/*/summary.json >/dev/null 2>&1; }; } && okname=1
oknul=0
{ [ "$b" = 2 ] || { [ "$b" = 0 ] && python3 -c 'import sys,xml.etree.ElementTree as E; E.parse(sys.argv[1])' o4b/junit.xml 2>/dev/null; }; } && oknul=1
report 4 "$(is "$okname$oknul" 11)" "$a,$b" '300-char scenario name (run), NUL in a step name (junit.xml well-formed or refused)'

# 5. A start far in the future is refused, not waited for in silence.
lg run ok.toml --start-at 2099-01-01T00:00:00Z --out o5 >o5 2>&1; a=$?
report 5 "$(is "$a" 2)" "$a" '--start-at 2099-01-01T00:00:00Z'

# 6. Printing may fail; results are still written and the exit is the verdict's.
timeout "$T" "$loadgen" run ok.toml --out o6a 2>/dev/null | head -1 >/dev/null
a=${PIPESTATUS[0]}
lg run ok.toml --out o6b >/dev/full 2>/dev/null; b=$?
w=0
[ -f o6a/summary.json ] && [ -f o6b/summary.json ] && w=1
report 6 "$(is "$a$b$w" 001)" "$a,$b" '`| head -1` and `> /dev/full`: verdict exit, summary.json written'

# 7. --json-progress: stdout is JSON lines only, the last one with the verdict.
lg run ok.toml --json-progress --out o7 >o7.out 2>o7.err; a=$?
pure=0
python3 - o7.out <<'EOF' && pure=1
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
objs = [json.loads(l) for l in lines]
sys.exit(0 if objs and "verdict" in json.dumps(objs[-1]) else 1)
EOF
report 7 "$(is "$a$pure" 01)" "$a" '--json-progress: every stdout line is JSON, the last has the verdict'

# 8. --out onto a non-empty folder is refused; a planted symlink is not followed (--force).
mkdir -p o8 && echo keep >o8/notes.txt
lg run ok.toml --out o8 >o8.log 2>&1; a=$?
echo victim >victim && mkdir -p sym && ln -s "$work/victim" sym/summary.txt
lg run ok.toml --out sym --force >o8b.log 2>&1; b=$?
v=$(cat victim)
report 8 "$(is "$a$b$v" 20victim)" "$a,$b" '--out non-empty folder refused; --force over sym/summary.txt -> victim leaves the victim alone'

# 9. Ad-hoc flags beside a scenario file are refused, never ignored.
lg run ok.toml --vus 10 --out o9 >o9 2>&1; a=$?
report 9 "$(is "$a" 2)" "$a" 'FILE + --vus 10'

# 10. Every mistake once, none invented; a FIFO feeder does not hang validate.
scen unit 50/mn >unit.toml
lg validate unit.toml >o10 2>&1; a=$?
n=$(grep -c 'error' o10)
invented=$(grep -c 'no step is named' o10)
mkfifo fifo.csv
printf 'name = "fifo"\nduration = "1s"\n[feeder.c]\nfile = "fifo.csv"\n[[workload]]\nname = "w"\nmodel = "open"\nrate = "5/s"\nmax_vus = 5\n[[workload.step]]\nname = "s"\nhttp = { method = "GET", path = "/health?e={{c.email}}" }\n' >fifo.toml
timeout 10 "$loadgen" validate fifo.toml >o10b 2>&1; b=$?
report 10 "$(is "$a$n$invented$b" 2102)" "$a,$b" "bad unit 50/mn ($n error line(s), $invented invented); FIFO feeder (124 = hung)"

# 11. --allow-target covers WebSocket URLs (and every other destination).
start t1.log target --listen 127.0.0.1:0
start t2.log target --listen 127.0.0.2:0
u1=$(line_of t1.log 'listening on')
u2=$(line_of t2.log 'listening on')
start w11.log worker --listen 127.0.0.3:0 --once --out w11 --allow-target 127.0.0.1/32
w=$(line_of w11.log 'listening on')
printf 'name = "ws"\nduration = "1s"\n[[workload]]\nname = "feed"\nmodel = "closed"\nvus = 2\n[workload.ws]\nurl = "ws://%s/ws/echo"\nhold = "1s"\n' \
    "${u2#http://}" >ws.toml
lg coordinator ws.toml --workers "$w" --target "$u1" --out c11 >c11.log 2>&1; a=$?
conns=$(counters "$u2" | jq '.ws.connections_total')
report 11 "$(is "$a$conns" 20)" "$a" "worker --allow-target 127.0.0.1/32 given ws://127.0.0.2/…: refused, $conns connection(s) reached 127.0.0.2"

# 12. --max-rate holds for closed models (an unpaced one is refused).
start w12.log worker --listen 127.0.0.3:0 --once --out w12 --max-rate 200/s
w=$(line_of w12.log 'listening on')
printf 'name = "closed"\nduration = "2s"\n[[workload]]\nname = "shoppers"\nmodel = "closed"\nvus = 10\n[[workload.step]]\nname = "s"\nhttp = { method = "GET", path = "/health" }\n' >closed.toml
before=$(counters "$u1" | jq .requests_total)
lg coordinator closed.toml --workers "$w" --target "$u1" --out c12 >c12.log 2>&1; a=$?
sent=$(($(counters "$u1" | jq .requests_total) - before))
report 12 "$(is "$a" 2)" "$a" "closed 10 VUs, no think time, on --max-rate 200/s: refused ($sent requests sent)"

# 13. One worker, two coordinator sessions, same seed: no idempotency key is replayed.
start w13.log worker --listen 127.0.0.3:0 --out w13
w=$(line_of w13.log 'listening on')
printf 'name = "keys"\nduration = "1s"\nseed = 7\n[[workload]]\nname = "pay"\nmodel = "open"\nrate = "30/s"\nmax_vus = 10\n[[workload.step]]\nname = "create"\nhttp = { method = "POST", path = "/api/payments", headers = { "Idempotency-Key" = "{{uuid}}" }, json = { amount = 100, currency = "AUD" } }\nexpect = { status = [201] }\n[thresholds]\n"errors" = ["rate < 1%%"]\n' >keys.toml
lg coordinator keys.toml --workers "$w" --target "$u1" --out c13a >c13a.log 2>&1; a=$?
lg coordinator keys.toml --workers "$w" --target "$u1" --out c13b >c13b.log 2>&1; b=$?
report 13 "$(is "$a$b" 00)" "$a,$b" 'two coordinator sessions, one worker, same seed (3 = replayed keys)'

# 14. A crafted metrics.jsonl is refused (exit 2) naming file and line, not run out of memory.
lg run ok.toml --segment 0/1 --out o14 >o14.log 2>&1
cp -r o14 o14b
python3 - o14/metrics.jsonl o14b/metrics.jsonl <<'EOF'
import json, sys
for path, edit in zip(sys.argv[1:], ("index", "count")):
    first = json.loads(open(path).readline())
    if edit == "index":
        first["index"] = 2**63
    else:
        first["metrics"]["steps"][0]["counts"][0] = 2**64 - 1
    open(path, "a").write(json.dumps(first) + "\n")
EOF
lg merge o14 --out m14a >m14a.log 2>&1; a=$?
lg merge o14b --out m14b >m14b.log 2>&1; b=$?
named=0
grep -q 'metrics.jsonl:[0-9]' m14a.log && grep -q 'metrics.jsonl:[0-9]' m14b.log && named=1
report 14 "$(is "$a$b$named" 221)" "$a,$b" 'merge with index 2**63 / a count of u64::MAX: refused with file:line'

# 15. Held connections do not silence --metrics-addr.
printf 'name = "long"\nduration = "60s"\n[[workload]]\nname = "w"\nmodel = "open"\nrate = "5/s"\nmax_vus = 5\n[[workload.step]]\nname = "s"\nhttp = { method = "GET", path = "/health" }\n' >long60.toml
timeout 120 "$loadgen" run long60.toml --metrics-addr 127.0.0.1:0 --out o15 >o15.log 2>&1 &
run15=$!
pids+=($run15)
m=$(line_of o15.log 'Prometheus metrics at')
status=$(timeout 60 python3 - "${m#http://}" <<'EOF'
import socket, sys
host, port = sys.argv[1].split("/")[0].rsplit(":", 1)
held = []
for i in range(200):
    s = socket.create_connection((host, int(port)), timeout=5)
    if i % 2:
        s.sendall(b"GET /metr")
    held.append(s)
s = socket.create_connection((host, int(port)), timeout=10)
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
print(s.recv(64).split(b"\r\n")[0].decode() or "no answer")
EOF
)
kill -INT "$run15" 2>/dev/null
report 15 "$(is "${status:-none}" 'HTTP/1.1 200 OK')" "-" "200 held connections, then a scrape: ${status:-no answer}"

exit "$fails"
