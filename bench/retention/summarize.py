#!/usr/bin/env python3
"""Prints the retention benchmark's table (markdown) from RUN_DIR/METHOD/metrics.json. Usage: summarize.py RUN_DIR METHOD..."""
import json, os, sys


def pct(v):
    return "n/a" if v is None else f"{100 * v:.1f}"


def main():
    run, methods = sys.argv[1], sys.argv[2:]
    rows, rise = [], {}
    print("| method | AA | BWT | FWT | accuracy matrix (rows: after task i) | TinyStories perplexity: base -> after each task |")
    print("|---|---|---|---|---|---|")
    for m in methods:
        with open(os.path.join(run, m, "metrics.json")) as f:
            r = json.load(f)
        ret = r["retention"]
        rise[m] = ret["perplexity"][-1] - ret["baseline"]
        matrix = " / ".join(" ".join("." if v is None else f"{100 * v:.0f}" for v in row) for row in r["accuracy"])
        ppl = f"{ret['baseline']:.2f} -> " + ", ".join(f"{p:.2f}" for p in ret["perplexity"])
        print(f"| {m} | {pct(r['averageAccuracy'])} | {pct(r['backwardTransfer'])} | {pct(r['forwardTransfer'])} | {matrix} | {ppl} |")
        rows.append((m, r))
    byname = dict(rows)
    if "seqft" in byname:
        s = byname["seqft"]
        print()
        for m, r in rows:
            if not m.startswith("osft"):
                continue
            ratio = rise[m] / rise["seqft"] if rise["seqft"] > 0 else float("nan")
            print(f"- {m}: perplexity rise {rise[m]:.2f} = {ratio:.2f} x seqft's {rise['seqft']:.2f} (target <= 0.33); "
                  f"AA {pct(r['averageAccuracy'])} vs seqft {pct(s['averageAccuracy'])} (target within 5 points); "
                  f"BWT {pct(r['backwardTransfer'])} vs seqft {pct(s['backwardTransfer'])} (target >= 10 points above)")


if __name__ == "__main__":
    main()
