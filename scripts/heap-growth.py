#!/usr/bin/env python3
"""Which allocation sites grew between two instants of a heaptrack recording.

RSS says that memory grows, not what holds it. Record a run under heaptrack (Debian's
`heaptrack`), then compare the live allocations at two instants, grouped by call stack:

    heaptrack -o /tmp/lg target/release/loadgen run soak.toml ...
    scripts/heap-growth.py /tmp/lg.zst 400 715        # seconds since the process started

Prints the net growth between the two instants and the call stacks that grew most (KiB, live
allocations added), standard-library frames left out. It reads heaptrack's own data file
(the `+`/`-`/`a`/`t`/`i`/`s`/`c` lines that `heaptrack_interpret` writes), so it needs nothing
but Python and `zstd`. Not part of CI.
"""
import collections
import re
import subprocess
import sys

if len(sys.argv) != 4:
    sys.exit(__doc__)
path, t1, t2 = sys.argv[1], float(sys.argv[2]) * 1000, float(sys.argv[3]) * 1000
raw = subprocess.Popen(["zstd", "-dc", path], stdout=subprocess.PIPE, text=True).stdout

strings, ips, traces, allocs = [None], [None], [(0, 0)], []
live, snaps = collections.Counter(), {}
for line in raw:
    kind = line[0]
    if kind == "+":
        live[int(line[2:], 16)] += 1
    elif kind == "-":
        live[int(line[2:], 16)] -= 1
    elif kind == "c":
        now = int(line[2:], 16)
        for t in (t1, t2):
            if t not in snaps and now >= t:
                snaps[t] = live.copy()
    elif kind == "a":
        size, trace = line[2:].split()
        allocs.append((int(size, 16), int(trace, 16)))
    elif kind == "s":
        strings.append(line[2:].rstrip("\n").split(" ", 1)[-1])
    elif kind == "i":
        fields = line[2:].split()
        ips.append(strings[int(fields[2], 16)] if len(fields) > 2 else fields[0])
    elif kind == "t":
        ip, parent = line[2:].split()
        traces.append((int(ip, 16), int(parent, 16)))
for t in (t1, t2):
    snaps.setdefault(t, live)

NOISE = re.compile(r"^(alloc::|core::|<alloc|<core|_<alloc|__rust|std::sys|_RNv)")


def stack(trace, depth=8):
    frames = []
    while trace and len(frames) < depth:
        ip, trace = traces[trace]
        name = re.sub(r"::h[0-9a-f]{16}", "", ips[ip])
        for a, b in (("$LT$", "<"), ("$GT$", ">"), ("$u20$", " "), ("$u7b$", "{"), ("$u7d$", "}")):
            name = name.replace(a, b)
        if not NOISE.match(name):
            frames.append(name[:90])
    return " <- ".join(frames)


grown, count = collections.Counter(), collections.Counter()
for index, (size, trace) in enumerate(allocs):
    added = snaps[t2][index] - snaps[t1][index]
    if added:
        grown[stack(trace)] += added * size
        count[stack(trace)] += added
print(f"net growth {sum(grown.values()) / 1024:.1f} KiB from {t1 / 1000:g} s to {t2 / 1000:g} s")
for site, size in grown.most_common(12):
    print(f"{size / 1024:9.1f} KiB {count[site]:+7d} | {site}")
