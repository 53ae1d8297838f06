#!/usr/bin/env python3
"""Pre-training data for a from-scratch model: splits TinyStories lines (one story per line) into training
examples {"text": ...} of whole sentences, at most MAX_CHARS characters each (a sentence longer than that is its own
chunk), and writes the held-out lines unchanged, one story per line, for --retain. Lines [0, TRAIN_LINES) train,
the rest are held out. Usage: story_chunks.py STORIES.txt TRAIN_LINES MAX_CHARS OUT_TRAIN.jsonl OUT_HELDOUT.txt"""
import json, re, sys


def chunks(story, max_chars):
    out, cur = [], ""
    for s in re.split(r"(?<=[.!?\"])\s+", story.strip()):
        if cur and len(cur) + 1 + len(s) > max_chars:
            out.append(cur)
            cur = s
        else:
            cur = f"{cur} {s}" if cur else s
    if cur:
        out.append(cur)
    return out


def main():
    src, n_train, max_chars, out_train, out_held = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    lines = [l.rstrip("\n") for l in open(src, encoding="utf-8") if l.strip()]
    if not 0 < n_train < len(lines):
        sys.exit(f"story_chunks.py: TRAIN_LINES must be in 1..{len(lines) - 1}, got {n_train}")
    examples = [c for l in lines[:n_train] for c in chunks(l, max_chars)]
    with open(out_train, "w", encoding="utf-8") as f:
        for c in examples:
            f.write(json.dumps({"text": c}) + "\n")
    with open(out_held, "w", encoding="utf-8") as f:
        f.write("\n".join(lines[n_train:]) + "\n")
    print(f"{len(examples)} training chunks from lines 1-{n_train} ({sum(len(c) for c in examples)} characters); "
          f"{len(lines) - n_train} held-out stories (lines {n_train + 1}-{len(lines)})")


if __name__ == "__main__":
    main()
