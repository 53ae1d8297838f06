#!/usr/bin/env bash
# Retention benchmark: the pretrained stories260K LLaMA learns four generated tasks in a row with seqft, lora, osft
# (rank policies schedule, importance and a ratio) and the multitask upper bound, all from the same base with the
# same budget; TinyStories perplexity (--retain) before training and after every task. See bench/retention/README.md.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ws=$(cd "$root/.." && pwd)

model=${SCULPT_STORIES260K:-$ws/shared/models/stories260K}
text=${SCULPT_TINYSTORIES:-$ws/shared/data/tinystories/valid-sample.txt}
train_per_task=300
test_per_task=50
epochs=3
lr=3e-4
seed=1
methods="seqft lora osft-schedule osft-importance osft-0.5 multitask"
out=""
extra=()

usage() {
  cat <<USAGE
usage: bench/retention/run.sh [options] [-- extra sculpt-continual arguments for every method]
  --model DIR            pretrained checkpoint (default \$SCULPT_STORIES260K, else ../shared/models/stories260K)
  --text FILE            retention text, one story per line (default \$SCULPT_TINYSTORIES, else
                         ../shared/data/tinystories/valid-sample.txt)
  --methods "M ..."      any of seqft lora osft-schedule osft-importance osft-RATIO multitask (default "$methods")
  --train-per-task N     training examples per task (default $train_per_task)
  --test-per-task N      test examples per task, prompts unseen in training (default $test_per_task)
  --epochs N             epochs per task (default $epochs)
  --lr LR                peak learning rate, every method (default $lr)
  --seed S               task generation and training seed (default $seed)
  --out DIR              run folder (default runs/retention-bench-UTCSTAMP)
USAGE
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) model=$2; shift 2 ;;
    --text) text=$2; shift 2 ;;
    --methods) methods=$2; shift 2 ;;
    --train-per-task) train_per_task=$2; shift 2 ;;
    --test-per-task) test_per_task=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --lr) lr=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "run.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[[ -d $model ]] || { echo "run.sh: model directory not found: $model (set --model or SCULPT_STORIES260K)" >&2; exit 2; }
[[ -f $text ]] || { echo "run.sh: retention text not found: $text (set --text or SCULPT_TINYSTORIES)" >&2; exit 2; }
out=${out:-$root/runs/retention-bench-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"

python3 "$root/bench/retention/make_tasks.py" "$out/tasks" "$train_per_task" "$test_per_task" "$seed"
names="colour who where count"
train="" test=""
for n in $names; do
  train="${train:+$train,}$out/tasks/train/$n.jsonl"
  test="${test:+$test,}$out/tasks/test/$n.jsonl"
done
common=(--model "$model" --lr "$lr" --epochs "$epochs" --seed "$seed" --retain "$text" "${extra[@]}")

for m in $methods; do
  case "$m" in
    seqft|lora) args=(--tasks "$train" --eval "$test" --method "$m") ;;
    osft-schedule|osft-importance) args=(--tasks "$train" --eval "$test" --method osft --rank-policy "${m#osft-}") ;;
    osft-0.*|osft-1*) args=(--tasks "$train" --eval "$test" --method osft --rank-policy "${m#osft-}") ;;
    multitask)
      # one task holding every task's examples; its accuracy on the union of the (equal-sized) test sets is the
      # mean of the per-task accuracies, i.e. multitask AA
      cat $(echo "$train" | tr ',' ' ') > "$out/tasks/all.train.jsonl"
      cat $(echo "$test" | tr ',' ' ') > "$out/tasks/all.test.jsonl"
      args=(--tasks "$out/tasks/all.train.jsonl" --eval "$out/tasks/all.test.jsonl" --method seqft) ;;
    *) echo "run.sh: unknown method '$m'" >&2; exit 2 ;;
  esac
  echo "== $m" >&2
  start=$(date +%s)
  "$root/sculpt" continual "${common[@]}" "${args[@]}" --out "$out/$m" > "$out/$m.log" 2>&1 || { echo "run.sh: $m failed, see $out/$m.log" >&2; exit 1; }
  echo "$m: $(( $(date +%s) - start )) s; $(tail -1 "$out/$m.log")" >&2
done
python3 "$root/bench/retention/summarize.py" "$out" $methods
