#!/usr/bin/env python3
"""For a seqft run of run.sh: the share of each task's unconstrained update dW = W_t - W_{t-1} (squared Frobenius
norm, summed over every target matrix) that OSFT's two-sided constraint would remove, i.e. that falls outside the
complement of the top-k singular subspace of W_{t-1}, with k = round(ratio * min(m, n)) or the schedule's
floor(min(m, n) (t-1) / T); beside it the share an isotropic random update would lose, 1 - (m-k)(n-k)/(mn),
weighted the same way. Usage: update_share.py BASE_MODEL_DIR SEQFT_RUN_DIR RATIO|schedule"""
import json, os, sys
import numpy as np
from spectra import tensors, KINDS


def main():
    base, run, policy = sys.argv[1], sys.argv[2], sys.argv[3]
    rec = json.load(open(os.path.join(run, "metrics.json")))
    dirs = [base] + [os.path.join(run, "checkpoints", c) for c in rec["checkpoints"]]
    T = len(rec["checkpoints"])
    prev = {n: w for n, w in tensors(os.path.join(dirs[0], "model.safetensors")).items() if any(n.endswith(k + ".weight") for k in KINDS)}
    for t in range(1, T + 1):
        cur = tensors(os.path.join(dirs[t], "model.safetensors"))
        inside = total = iso = 0.0
        for n, w0 in prev.items():
            d = cur[n] - w0
            r = min(w0.shape)
            k = int(r * (t - 1) // T) if policy == "schedule" else round(float(policy) * r)
            k = min(k, r - 1)
            u, _, vt = np.linalg.svd(w0, full_matrices=False)
            uh, vh = u[:, :k], vt[:k].T
            p = d - uh @ (uh.T @ d) - (d @ vh) @ vh.T + uh @ (uh.T @ d @ vh) @ vh.T
            inside += (d * d).sum() - (p * p).sum()
            total += (d * d).sum()
            m, nn = w0.shape
            iso += (d * d).sum() * (1 - (m - k) * (nn - k) / (m * nn))
        print(f"task {t} ({rec['tasks'][t - 1]}), {policy}: {100 * inside / total:.1f} % of seqft's update would be removed "
              f"(an isotropic update of the same sizes: {100 * iso / total:.1f} %)")
        prev = {n: cur[n] for n in prev}


if __name__ == "__main__":
    main()
