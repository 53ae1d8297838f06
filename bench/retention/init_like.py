#!/usr/bin/env python3
"""A randomly initialised copy of a LLaMA checkpoint's exact shape, for a from-scratch baseline: copies MODEL_DIR's
config.json and tokenizer files into OUT_DIR and writes model.safetensors with every 2-D tensor drawn from
N(0, initializer_range^2) and every 1-D tensor (the RMS norms) at 1, the initialisation `sculpt init` uses
(LlamaModel.create; `sculpt init` itself only offers its fixed sizes). Usage: init_like.py MODEL_DIR OUT_DIR [SEED]"""
import json, os, shutil, struct, sys
import numpy as np

COPIED = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]


def header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n))


def write_safetensors(path, arrays):
    meta, offset, blobs = {}, 0, []
    for name, a in arrays.items():
        b = np.ascontiguousarray(a, dtype="<f4").tobytes()
        meta[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(meta).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def main():
    src, out = sys.argv[1], sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    os.makedirs(out, exist_ok=True)
    for name in COPIED:
        if os.path.exists(os.path.join(src, name)):
            shutil.copyfile(os.path.join(src, name), os.path.join(out, name))
    std = json.load(open(os.path.join(src, "config.json"))).get("initializer_range", 0.02)
    rng = np.random.default_rng(seed)
    arrays = {}
    for name, info in sorted(header(os.path.join(src, "model.safetensors")).items()):
        if name == "__metadata__":
            continue
        shape = tuple(info["shape"])
        arrays[name] = rng.standard_normal(shape) * std if len(shape) == 2 else np.ones(shape)
    write_safetensors(os.path.join(out, "model.safetensors"), arrays)
    print(f"wrote {len(arrays)} tensors ({sum(a.size for a in arrays.values())} parameters), N(0, {std}^2), seed {seed}, to {out}")


if __name__ == "__main__":
    main()
