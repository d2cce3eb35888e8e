#!/usr/bin/env bash
# Prints the non-test line count of every crate: the lines of its src/ files, less the
# `#[cfg(test)]` modules (inline `mod tests { … }` blocks and files declared by
# `#[cfg(test)] mod name;`). tests/, benches/ and examples/ are not counted. Blank lines and
# comments count: they are code a reader has to read. Usage: scripts/line-counts.sh [crates-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - "${1:-crates}" <<'PY'
import os
import re
import sys

root = sys.argv[1]
DECL = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+([a-z_][a-z0-9_]*)\s*;")
INLINE = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+[a-z_][a-z0-9_]*\s*\{")


def module_dir(path):
    """The folder where the child modules of the file `path` live."""
    d, name = os.path.split(path)
    if name in ("lib.rs", "main.rs", "mod.rs"):
        return d
    return os.path.join(d, name[:-3])


def count(path, excluded):
    """Non-test lines of one file; adds files of `#[cfg(test)] mod x;` to `excluded`."""
    lines = open(path, encoding="utf-8").read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    kept, i, pending = 0, 0, False
    while i < len(lines):
        line = lines[i]
        if line.strip() == "#[cfg(test)]":
            pending = True
            i += 1
            continue
        if pending:
            pending = False
            m = DECL.match(line)
            if m:
                base = os.path.join(module_dir(path), m.group(1))
                excluded.update({base + ".rs", os.path.join(base, "mod.rs")})
                i += 1
                continue
            if INLINE.match(line):
                depth = 0
                while i < len(lines):
                    depth += lines[i].count("{") - lines[i].count("}")
                    i += 1
                    if depth <= 0:
                        break
                continue
            kept += 1  # the attribute was on something else: count both lines
        kept += 1
        i += 1
    return kept


rows, total = [], 0
for crate in sorted(os.listdir(root)):
    src = os.path.join(root, crate, "src")
    if not os.path.isdir(src):
        continue
    files = sorted(os.path.join(d, n) for d, _, ns in os.walk(src) for n in ns if n.endswith(".rs"))
    excluded, counts = set(), {}
    # Every file is counted; the files a `#[cfg(test)] mod x;` names are left out of the sum.
    for f in sorted(files, key=lambda p: p.count(os.sep)):
        counts[f] = count(f, excluded)
    n = sum(c for f, c in counts.items() if f not in excluded)
    rows.append((crate, n))
    total += n
for crate, n in rows:
    print(f"{crate:<16}{n:>7}")
print(f"{'total':<16}{total:>7}")
PY
