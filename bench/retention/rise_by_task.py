#!/usr/bin/env python3
"""Which task drives a run's perplexity rise: for each LABEL=RUN_DIR (a method folder of run.sh, holding
metrics.json), the retention perplexity's increase during each task, the total rise, and that rise as a multiple of
the first run's (give seqft first: the issue's target is osft's rise <= 1/3 of seqft's). Also the rise of mean
token NLL (log perplexity), where a blow-up of the reference weighs less. Usage: rise_by_task.py LABEL=RUN_DIR..."""
import json, math, os, sys


def main():
    runs = [a.split("=", 1) for a in sys.argv[1:]]
    if not runs or any(len(r) != 2 for r in runs):
        sys.exit(__doc__)
    ref = None
    print("| run | base | increase during task 1 / 2 / 3 / 4 | total rise | x first run's | log-ppl rise | x first run's |")
    print("|---|---|---|---|---|---|---|")
    for label, d in runs:
        r = json.load(open(os.path.join(d, "metrics.json")))
        tasks = r["tasks"]
        p0, ps = r["retention"]["baseline"], r["retention"]["perplexity"]
        inc = [b - a for a, b in zip([p0] + ps[:-1], ps)]
        rise, lrise = ps[-1] - p0, math.log(ps[-1] / p0)
        if ref is None:
            ref = (rise, lrise)
        print(f"| {label} | {p0:.2f} | " + " / ".join(f"{x:+.2f}" for x in inc) + f" ({', '.join(tasks)}) | {rise:.2f} | "
              f"{rise / ref[0]:.2f} | {lrise:.3f} | {lrise / ref[1]:.2f} |")


if __name__ == "__main__":
    main()
