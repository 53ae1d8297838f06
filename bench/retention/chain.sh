#!/usr/bin/env bash
# A rank schedule the CLI does not offer, emulated by chaining one-task `sculpt continual` runs: task t (0-based) of
# colour, who, where, count trains from the previous run's checkpoint with --rank-policy RATIO_t and --seed SEED+t
# (the seed a single 4-task run gives task t, so the data order and optimizer match), protecting the top-k subspace
# of the weights it starts from, as a single run does without --accumulate. A last run at a negligible lr only reads
# the initial accuracy of the final model on all four test sets. With ratios 0 0.25 0.5 0.75 this is the schedule.
# Usage: bench/retention/chain.sh TASKS_DIR SEED OUT_DIR R1 R2 R3 R4   (TASKS_DIR: run.sh's RUN_DIR/tasks)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ws=$(cd "$root/.." && pwd)
model=${SCULPT_STORIES260K:-$ws/shared/models/stories260K}
text=${SCULPT_TINYSTORIES:-$ws/shared/data/tinystories/valid-sample.txt}
[[ $# -eq 7 ]] || { echo "usage: bench/retention/chain.sh TASKS_DIR SEED OUT_DIR R1 R2 R3 R4" >&2; exit 2; }
tasks=$1 seed=$2 out=$3; shift 3
ratios=("$@") names=(colour who where count)
mkdir -p "$out"
cur=$model
for t in 0 1 2 3; do
  n=${names[$t]}
  "$root/sculpt" continual --model "$cur" --tasks "$tasks/train/$n.jsonl" --eval "$tasks/test/$n.jsonl" --method osft \
    --rank-policy "${ratios[$t]}" --lr 3e-4 --epochs 3 --seed $((seed + t)) --retain "$text" --out "$out/$t-$n" \
    > "$out/$t-$n.log" 2>&1 || { echo "chain.sh: task $n failed, see $out/$t-$n.log" >&2; exit 1; }
  cur="$out/$t-$n/checkpoints/$(ls "$out/$t-$n/checkpoints" | head -1)"
done
all_train="" all_test=""
for n in "${names[@]}"; do all_train="${all_train:+$all_train,}$tasks/train/$n.jsonl"; all_test="${all_test:+$all_test,}$tasks/test/$n.jsonl"; done
"$root/sculpt" continual --model "$cur" --tasks "$all_train" --eval "$all_test" --method seqft --lr 1e-12 --epochs 1 \
  --seed "$seed" --out "$out/final-eval" > "$out/final-eval.log" 2>&1 &
pid=$!
# only the initial evaluation is needed: stop once metrics.json holds it (the rest would train at lr 1e-12)
while kill -0 $pid 2>/dev/null; do
  if [[ -f $out/final-eval/metrics.json ]] && python3 -c "import json,sys; sys.exit(0 if json.load(open(sys.argv[1])).get('initialAccuracy') else 1)" "$out/final-eval/metrics.json" 2>/dev/null; then
    kill $pid; break
  fi
  sleep 5
done
wait $pid 2>/dev/null || true
python3 - "$out" "${ratios[*]}" <<'PY'
import json, os, sys
out, ratios = sys.argv[1], sys.argv[2]
names = ["colour", "who", "where", "count"]
diag, ppl = [], []
for t, n in enumerate(names):
    r = json.load(open(os.path.join(out, f"{t}-{n}", "metrics.json")))
    diag.append(r["accuracy"][0][0])
    if t == 0:
        ppl.append(r["retention"]["baseline"])
    ppl.append(r["retention"]["perplexity"][0])
final = json.load(open(os.path.join(out, "final-eval", "metrics.json")))["initialAccuracy"]
aa = sum(final) / 4
bwt = sum(final[i] - diag[i] for i in range(3)) / 3
print(f"ratios {ratios}: diagonal {' '.join(f'{100 * d:.0f}' for d in diag)}; final row {' '.join(f'{100 * a:.0f}' for a in final)}; "
      f"AA {100 * aa:.1f} BWT {100 * bwt:.1f}; perplexity {ppl[0]:.2f} -> {', '.join(f'{p:.2f}' for p in ppl[1:])}")
PY
