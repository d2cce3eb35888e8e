#!/usr/bin/env python3
"""Reports import circles between the modules of each crate (a uses b uses a).

A module is a file under a crate's src/ (a folder's mod.rs is the folder). An edge a -> b is
a `use crate::b…` (or `crate::b::` path) in a's file. Tests modules count too: a circle is a
circle. Exit 1 and print every circle when one exists."""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
PATH = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)(?:::([a-z_][a-z0-9_]*))?")


def module_of(src, path):
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return "::".join(rel) or "<root>"


def crate_graph(src):
    files = {}
    for d, _, names in os.walk(src):
        for n in names:
            if n.endswith(".rs"):
                p = os.path.join(d, n)
                files[module_of(src, p)] = p
    mods = set(files)
    graph = {m: set() for m in mods}
    for m, p in files.items():
        # Doc links and comments name modules without importing them.
        text = re.sub(r"//[^\n]*", "", open(p, encoding="utf-8").read())
        for a, b in PATH.findall(text):
            target = f"{a}::{b}" if b and f"{a}::{b}" in mods else a
            if target in mods and target != m and not m.startswith(target + "::") \
                    and not target.startswith(m + "::"):
                graph[m].add(target)
    return graph


def cycles(graph):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    found = 0
    crates = sorted(os.path.join(ROOT, "crates", c) for c in os.listdir(os.path.join(ROOT, "crates")))
    for crate in crates + [os.path.join(ROOT, "benches")]:
        src = os.path.join(crate, "src")
        if not os.path.isdir(src):
            continue
        for comp in cycles(crate_graph(src)):
            found += 1
            print(f"{os.path.basename(crate)}: modules import each other in a circle: {', '.join(comp)}")
    if found:
        sys.exit(1)
    print("no import circles between the modules of any crate")


if __name__ == "__main__":
    main()
