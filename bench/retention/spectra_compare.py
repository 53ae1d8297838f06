#!/usr/bin/env python3
"""Singular-value spectra of several checkpoints' target matrices side by side, per matrix kind (mean over layers):
  - top-half energy: the share of the squared Frobenius norm held by the largest half of the singular values;
  - effective rank (Roy & Vetterli 2007): exp of the entropy of p_i = s_i / sum(s), as a % of min(m, n);
beside Gaussian matrices of the same shapes (the spectrum of a model at random initialisation, in expectation).
Optionally --moved TRAINED_DIR=INIT_DIR: the relative change ||W - W0||_F / ||W0||_F per kind, i.e. how far training
moved a from-scratch model from its initialisation.
Usage: spectra_compare.py NAME=MODEL_DIR... [--moved TRAINED_DIR=INIT_DIR] [--csv FILE]"""
import sys
import numpy as np
from spectra import tensors, KINDS

GAUSS_DRAWS = 20


def stats(w):
    s = np.linalg.svd(w, compute_uv=False)
    s2 = s ** 2
    half = s2[: max(1, round(0.5 * len(s)))].sum() / s2.sum()
    p = s / s.sum()
    p = p[p > 0]
    erank = np.exp(-(p * np.log(p)).sum()) / len(s)
    return half, erank


def by_kind(ts):
    out = {}
    for k in KINDS:
        ws = [ts[n] for n in sorted(ts) if n.endswith(k + ".weight")]
        if ws:
            out[k] = ws
    return out


def main():
    args = sys.argv[1:]
    moved, csv = None, None
    if "--moved" in args:
        i = args.index("--moved")
        moved = args[i + 1].split("=", 1)
        del args[i:i + 2]
    if "--csv" in args:
        i = args.index("--csv")
        csv = args[i + 1]
        del args[i:i + 2]
    models = [a.split("=", 1) for a in args]
    if not models or any(len(m) != 2 for m in models):
        sys.exit(__doc__)
    rng = np.random.default_rng(0)
    kinds = {name: by_kind(tensors(d.rstrip("/") + "/model.safetensors")) for name, d in models}
    ref_name = models[0][0]
    gauss = {}
    for k, ws in kinds[ref_name].items():
        gauss[k] = np.mean([stats(rng.standard_normal(w.shape)) for w in ws for _ in range(GAUSS_DRAWS)], axis=0)
    cols = [name for name, _ in models] + ["Gaussian, same shapes"]
    rows = []
    print("Top-half energy share (%) / effective rank (% of min(m, n)), mean over layers:")
    print()
    print("| matrix (shape, layers) | " + " | ".join(cols) + " |")
    print("|---|" + "---|" * len(cols))
    for k, ws in kinds[ref_name].items():
        cells = []
        for name, _ in models:
            h, e = np.mean([stats(w) for w in kinds[name][k]], axis=0)
            cells.append(f"{100 * h:.1f} / {100 * e:.1f}")
            rows.append((k, name, h, e))
        g = gauss[k]
        cells.append(f"{100 * g[0]:.1f} / {100 * g[1]:.1f}")
        rows.append((k, "gaussian", g[0], g[1]))
        print(f"| {k} ({ws[0].shape[0]}x{ws[0].shape[1]}, {len(ws)}) | " + " | ".join(cells) + " |")
    if moved:
        a, b = by_kind(tensors(moved[0].rstrip("/") + "/model.safetensors")), by_kind(tensors(moved[1].rstrip("/") + "/model.safetensors"))
        print()
        print(f"Relative change ||W - W0||_F / ||W0||_F of {moved[0]} from {moved[1]}, mean over layers:")
        print()
        print("| " + " | ".join(a) + " |")
        print("|" + "---|" * len(a))
        print("| " + " | ".join(f"{np.mean([np.linalg.norm(w - w0) / np.linalg.norm(w0) for w, w0 in zip(a[k], b[k])]):.3f}" for k in a) + " |")
    if csv:
        with open(csv, "w") as f:
            f.write("kind,model,top_half_energy_share,effective_rank_share\n")
            for k, name, h, e in rows:
                f.write(f"{k},{name},{h:.5f},{e:.5f}\n")


if __name__ == "__main__":
    main()
