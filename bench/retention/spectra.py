#!/usr/bin/env python3
"""Singular-value spectra of a checkpoint's target matrices: for each matrix kind, the share of the squared Frobenius
norm held by the top 25 % / 50 % / 75 % of singular values, averaged over layers, beside the same figures for
Gaussian matrices of the same shapes (a flat, from-scratch-like spectrum). Usage: spectra.py MODEL_DIR [MODEL_DIR...]"""
import json, struct, sys
import numpy as np

KINDS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def tensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32" or len(info["shape"]) != 2:
            continue
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype=np.float32).reshape(info["shape"]).astype(np.float64)
    return out


def shares(w):
    s2 = np.linalg.svd(w, compute_uv=False) ** 2
    r = len(s2)
    return [s2[: max(1, round(f * r))].sum() / s2.sum() for f in (0.25, 0.5, 0.75)]


def main():
    rng = np.random.default_rng(0)
    print("| model | matrix | top 25 % | top 50 % | top 75 % | Gaussian, same shape: 25 / 50 / 75 % |")
    print("|---|---|---|---|---|---|")
    for d in sys.argv[1:]:
        ts = tensors(d.rstrip("/") + "/model.safetensors")
        for k in KINDS:
            ws = [w for n, w in ts.items() if n.endswith(k + ".weight")]
            if not ws:
                continue
            got = np.mean([shares(w) for w in ws], axis=0)
            ref = np.mean([shares(rng.standard_normal(w.shape)) for w in ws], axis=0)
            print(f"| {d.rstrip('/').split('/')[-1]} | {k} ({ws[0].shape[0]}x{ws[0].shape[1]}, {len(ws)} layers) | "
                  f"{100 * got[0]:.0f} | {100 * got[1]:.0f} | {100 * got[2]:.0f} | {100 * ref[0]:.0f} / {100 * ref[1]:.0f} / {100 * ref[2]:.0f} |")


if __name__ == "__main__":
    main()
