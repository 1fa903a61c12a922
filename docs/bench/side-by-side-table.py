#!/usr/bin/env python3
"""The markdown table of docs/PERFORMANCE.md from side-by-side.sh's output: per file and test, best and median
tok/s of each engine over the rounds, and lfm2vl / llama.cpp best to best and median to median."""
import collections
import statistics
import sys

runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) == 5:
        _, engine, name, test, rate = parts
        runs[(name, test, engine)].append(float(rate))
order = {"tg64": 0, "pp16": 1, "pp64": 2, "pp512": 3}
print("| file | test | lfm2vl best | lfm2vl median | llama.cpp best | llama.cpp median | best/best | median/median | rounds |")
print("|---|---|---|---|---|---|---|---|---|")
for name, test in sorted({(k[0], k[1]) for k in runs}, key=lambda k: (k[0], order.get(k[1], 9))):
    ours, theirs = runs[(name, test, "lfm2vl")], runs[(name, test, "llama.cpp")]
    if not ours or not theirs:
        continue
    mo, mt = statistics.median(ours), statistics.median(theirs)
    print(f"| {name} | {test} | {max(ours):.2f} | {mo:.2f} | {max(theirs):.2f} | {mt:.2f} | "
          f"**{max(ours) / max(theirs):.2f}x** | {mo / mt:.2f}x | {min(len(ours), len(theirs))} |")
