#!/usr/bin/env bash
# Perplexity of one checkpoint on a text file (one document per line), with the project's own retention measure:
# `sculpt continual --retain` measures it before any training ("baseline" in metrics.json); the one-example task
# it is given then trains a single step at a negligible lr, whose result is discarded.
# Usage: bench/retention/perplexity.sh MODEL_DIR TEXT_FILE  (prints the perplexity)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[[ $# -eq 2 ]] || { echo "usage: bench/retention/perplexity.sh MODEL_DIR TEXT_FILE" >&2; exit 2; }
tmp=$(mktemp -d "$root/runs/perplexity.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo '{"prompt": "Once upon a", "completion": " time"}' > "$tmp/one.jsonl"
"$root/sculpt" continual --model "$1" --retain "$2" --tasks "$tmp/one.jsonl" --method seqft --epochs 1 --lr 1e-12 \
  --out "$tmp/run" > "$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }
python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['retention']['baseline'])" "$tmp/run/metrics.json"
