#!/usr/bin/env bash
# Spectra of the pretrained base against a model of exactly its shape trained from scratch here and against that
# model's random initialisation: init_like.py (sculpt init's N(0, 0.02^2) initialisation in stories260K's shape),
# story_chunks.py (TinyStories lines 1-70 as sentence chunks of <= 400 characters; lines 71-88 held out), a
# pre-training step with `sculpt continual --method seqft` (held-out perplexity via --retain), then
# spectra_compare.py. See bench/retention/README.md.
# Usage: bench/retention/scratch.sh [--epochs N] [--lr LR] [--out DIR]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ws=$(cd "$root/.." && pwd)
model=${SCULPT_STORIES260K:-$ws/shared/models/stories260K}
text=${SCULPT_TINYSTORIES:-$ws/shared/data/tinystories/valid-sample.txt}
epochs=8 lr=3e-3 out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --epochs) epochs=$2; shift 2 ;;
    --lr) lr=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: bench/retention/scratch.sh [--epochs N (default 8)] [--lr LR (default 3e-3)] [--out DIR]" >&2; exit 2 ;;
  esac
done
[[ -d $model && -f $text ]] || { echo "scratch.sh: need $model and $text (SCULPT_STORIES260K / SCULPT_TINYSTORIES)" >&2; exit 2; }
out=${out:-$root/runs/scratch-spectra-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
here="$root/bench/retention"
python3 "$here/init_like.py" "$model" "$out/init" 0
python3 "$here/story_chunks.py" "$text" 70 400 "$out/train.jsonl" "$out/heldout.txt"
# accuracy is not what this step is for: one tiny eval example keeps the per-task evaluation cheap
echo '{"prompt": "Once upon a time, there was a little", "completion": " girl"}' > "$out/eval.jsonl"
start=$(date +%s)
"$root/sculpt" continual --model "$out/init" --tasks "$out/train.jsonl" --eval "$out/eval.jsonl" --method seqft \
  --epochs "$epochs" --lr "$lr" --seed 1 --retain "$out/heldout.txt" --out "$out/pretrain" > "$out/pretrain.log" 2>&1
echo "pre-training: $(( $(date +%s) - start )) s; $(tail -1 "$out/pretrain.log")"
trained="$out/pretrain/checkpoints/$(ls "$out/pretrain/checkpoints" | head -1)"
cd "$here"
python3 spectra_compare.py stories260K="$model" "scratch-${epochs}ep=$trained" random-init="$out/init" \
  --moved "$trained=$out/init" --csv "$out/spectra.csv"
