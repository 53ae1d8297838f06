#!/usr/bin/env python3
"""Post-hoc attribution of a run's perplexity rise: a checkpoint whose OSFT target matrices (q, k, v, o, gate, up,
down) come from TARGETS_DIR and every other tensor (embeddings / tied lm_head, RMS norms) from OTHERS_DIR; config and
tokenizer files are copied from OTHERS_DIR (the two must have the same shapes).
With KINDS (comma-separated, e.g. q_proj,k_proj), only those target kinds come from TARGETS_DIR: mix_weights.py BASE
RUN_CHECKPOINT OUT q_proj reverts a run's q_proj matrices to the base and keeps everything else.
Usage: mix_weights.py TARGETS_DIR OTHERS_DIR OUT_DIR [KINDS]"""
import os, shutil, sys
import numpy as np
from spectra import KINDS
from init_like import COPIED, header, write_safetensors


def load(d):
    path = os.path.join(d, "model.safetensors")
    raw = open(path, "rb").read()
    n = int.from_bytes(raw[:8], "little")
    out = {}
    for name, info in header(path).items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            sys.exit(f"mix_weights.py: {path}: {name} is {info['dtype']}, only F32 is handled")
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + a: 8 + n + b], dtype="<f4").reshape(info["shape"])
    return out


def main():
    tdir, odir, out = sys.argv[1:4]
    kinds = sys.argv[4].split(",") if len(sys.argv) > 4 else KINDS
    if not set(kinds) <= set(KINDS):
        sys.exit(f"mix_weights.py: unknown kinds {sorted(set(kinds) - set(KINDS))}; known: {','.join(KINDS)}")
    t, o = load(tdir), load(odir)
    if set(t) != set(o) or any(t[k].shape != o[k].shape for k in t):
        sys.exit(f"mix_weights.py: {tdir} and {odir} do not hold the same tensors")
    is_target = lambda n: any(n.endswith(k + ".weight") for k in kinds)
    os.makedirs(out, exist_ok=True)
    for name in COPIED:
        if os.path.exists(os.path.join(odir, name)):
            shutil.copyfile(os.path.join(odir, name), os.path.join(out, name))
    write_safetensors(os.path.join(out, "model.safetensors"), {n: (t[n] if is_target(n) else o[n]) for n in sorted(t)})
    print(f"{out}: {sum(map(is_target, t))} target matrices from {tdir}, {sum(not is_target(n) for n in t)} other tensors from {odir}")


if __name__ == "__main__":
    main()
