#!/usr/bin/env python3
"""Share of a run's extractive and review items whose knowledge point does not occur in the item's passage
(normalised whole tokens; an answer point "Finn Okafor, Quito" must have both parts). Usage:
bench/cem/item_grounding.py RUN_DIR...  (RUN_DIR holds round-NN/cit.jsonl and cpt.jsonl, as sculpt evolve writes)."""
import json, pathlib, re, sys

def toks(s):
    return re.findall(r"[a-z0-9]+", s.lower())

def occurs(part, text):
    p, t = toks(part), toks(text)
    return any(t[i:i + len(p)] == p for i in range(len(t) - len(p) + 1)) if p else False

for run in sys.argv[1:]:
    total = bad = 0
    for rd in sorted(pathlib.Path(run).glob("round-*")):
        if not (rd / "cit.jsonl").exists():
            continue
        passages = {}
        for line in open(rd / "cpt.jsonl"):
            o = json.loads(line)
            passages[o["passage"]] = o["completion"]
        for line in open(rd / "cit.jsonl"):
            o = json.loads(line)
            if o["kind"] not in ("extractive", "review"):
                continue
            total += 1
            parts = [x.strip() for x in o["point"].split(",")] if o["point"] else []
            if not all(occurs(x, passages[o["passage"]]) for x in parts):
                bad += 1
    print(f"{run}\t{bad} of {total} extractive/review items name a point their passage lacks")
