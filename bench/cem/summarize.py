#!/usr/bin/env python3
"""Means over seeds (first table) and every run (second table) of bench/cem/ablate.sh's summary TSVs: per world and variant, the number of seeds, the mean
probe gain (last - first round), held-out gain, ood change, retrievalHits and seconds. Usage:
bench/cem/summarize.py OUT_DIR/summary-people.tsv [more.tsv ...]"""
import collections, sys

def delta(cell):
    if cell == "-":
        return None
    a, b = (float(x) for x in cell.split("->"))
    return b - a

def end(cell):
    return None if cell == "-" else float(cell.split("->")[1])

rows = collections.OrderedDict()
for f in sys.argv[1:]:
    lines = open(f).read().splitlines()
    head = lines[0].split("\t")
    for line in lines[1:]:
        r = dict(zip(head, line.split("\t")))
        rows.setdefault((r["world"], r["variant"]), []).append(r)

def mean(xs):
    xs = [x for x in xs if x is not None]
    return "-" if not xs else f"{sum(xs) / len(xs):+.2f}"

def mean_plain(xs):
    xs = [x for x in xs if x is not None]
    return "-" if not xs else f"{sum(xs) / len(xs):.2f}"

print("| world | variant | seeds | probe gain | probe end | held-out gain | ood change | ood end | retrievalHits | s per run |")
print("|---|---|---|---|---|---|---|---|---|---|")
for (world, variant), rs in rows.items():
    hits = [float(h) for r in rs for h in r["retrievalHits"].split() if h != "-"]
    print(f"| {world} | {variant} | {len(rs)} ({' '.join(r['seed'] for r in rs)}) | {mean([delta(r['probe']) for r in rs])} | "
          f"{mean_plain([end(r['probe']) for r in rs])} | {mean([delta(r['heldout']) for r in rs])} | {mean([delta(r['ood']) for r in rs])} | "
          f"{mean_plain([end(r['ood']) for r in rs])} | {min(hits):.2f}-{max(hits):.2f} | {mean_plain([float(r['seconds']) for r in rs])[:-3]} |")

print()
print("| world | seed | variant | probe | held-out | ood | retrievalHits r1 r2 r3 | s |")
print("|---|---|---|---|---|---|---|---|")
for f in sys.argv[1:]:
    lines = open(f).read().splitlines()
    head = lines[0].split("\t")
    for line in lines[1:]:
        r = dict(zip(head, line.split("\t")))
        print(f"| {r['world']} | {r['seed']} | {r['variant']} | {r['probe']} | {r['heldout']} | {r['ood']} | {r['retrievalHits']} | {r['seconds']} |")
