#!/usr/bin/env bash
# Continual-learning benchmark: a small LLaMA trained from scratch on the 8-task CL_Benchmark sequence with
# seqft, lora and osft, plus the multitask upper bound; the accuracy matrices, AA and BWT go into
# bench/RESULTS.md. See bench/cl/README.md. Defaults are sized for a 2-core CPU (under an hour); --gpu picks a
# larger model and larger samples for a machine with a GPU.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

size=tiny
train_per_task=100
test_per_task=20
seed=1
order="agnews,amazon,MNLI,SST-2,QQP,BoolQA,WiC,RTE"
methods="seqft lora osft multitask"
data=${SCULPT_CL_BENCHMARK:-}
out=""
results="$root/bench/RESULTS.md"
dry_run=0
extra=()

usage() {
  cat <<USAGE
usage: bench/cl/run.sh [options] [-- extra sculpt-continual arguments]
  --data DIR             CL_Benchmark folder (default: \$SCULPT_CL_BENCHMARK, else ../shared/data/cl_benchmark
                         beside the repository or beside its worktree folder)
  --order NAMES          task order (default $order)
  --methods "M ..."      any of seqft lora osft multitask (default "$methods")
  --size tiny|small|base model size for 'sculpt init' (default $size)
  --train-per-task N     training examples per task (default $train_per_task)
  --test-per-task N      test examples per task (default $test_per_task)
  --seed S               sampling seed (default $seed)
  --gpu                  larger run for a GPU machine: --size small --train-per-task 1000 --test-per-task 200
  --out DIR              run folder (default runs/cl-bench-UTCSTAMP)
  --results FILE         markdown file to update (default bench/RESULTS.md); --no-results to skip
  --dry-run              print the commands only
USAGE
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --data) data=$2; shift 2 ;;
    --order) order=$2; shift 2 ;;
    --methods) methods=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --train-per-task) train_per_task=$2; shift 2 ;;
    --test-per-task) test_per_task=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --gpu) size=small; train_per_task=1000; test_per_task=200; shift ;;
    --out) out=$2; shift 2 ;;
    --results) results=$2; shift 2 ;;
    --no-results) results=""; shift ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

for m in $methods; do
  case "$m" in seqft|lora|osft|multitask) ;; *) echo "run.sh: unknown method '$m' (seqft, lora, osft, multitask)" >&2; exit 2 ;; esac
done
case "$size" in tiny|small|base) ;; *) echo "run.sh: --size must be tiny, small or base, not '$size'" >&2; exit 2 ;; esac
for n in "$train_per_task" "$test_per_task" "$seed"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "run.sh: '$n' is not a non-negative integer" >&2; exit 2; }
done

if [[ -z "$data" ]]; then
  for c in "$root/../shared/data/cl_benchmark" "$root/../../shared/data/cl_benchmark"; do
    if [[ -d "$c" ]]; then data=$(cd "$c" && pwd); break; fi
  done
fi
if [[ -z "$data" || ! -d "$data" ]]; then
  echo "run.sh: CL_Benchmark data not found; pass --data DIR or set SCULPT_CL_BENCHMARK" >&2
  exit 2
fi
[[ -n "$out" ]] || out="$root/runs/cl-bench-$(date -u +%Y%m%dT%H%M%SZ)"

sculpt="$root/sculpt"
common=(--benchmark "$data" --train-per-task "$train_per_task" --test-per-task "$test_per_task")
command_line="bench/cl/run.sh --size $size --train-per-task $train_per_task --test-per-task $test_per_task --seed $seed --order $order --methods '$methods'${extra:+ -- ${extra[*]}}"

run() {
  echo "+ $*" >&2
  [[ $dry_run == 1 ]] || "$@"
}

# bench.json: what the results helper needs besides the runs' metrics.json
info() {
  [[ $dry_run == 1 ]] && return 0
  python3 - "$out/bench.json" "$@" <<'PY'
import json, os, sys
path, pairs = sys.argv[1], sys.argv[2:]
info = json.load(open(path)) if os.path.exists(path) else {}
for i in range(0, len(pairs), 2):
    key, value = pairs[i], pairs[i + 1]
    if key.startswith("wall_s."):
        info.setdefault("wall_s", {})[key[7:]] = float(value)
    elif key in ("train_per_task", "test_per_task", "seed"):
        info[key] = int(value)
    elif key == "methods":
        info[key] = value.split()
    else:
        info[key] = value
tmp = path + ".tmp"
json.dump(info, open(tmp, "w"), indent=2)
os.replace(tmp, path)
PY
}

machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //')"
if command -v nvidia-smi >/dev/null 2>&1; then
  gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || true)
  [[ -n "$gpu" ]] && machine="$machine, GPU $gpu"
fi

[[ $dry_run == 1 ]] || mkdir -p "$out"
info command "$command_line" order "$order" methods "$methods" size "$size" train_per_task "$train_per_task" \
     test_per_task "$test_per_task" seed "$seed" data "$data" machine "$machine" \
     date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" extra_args "${extra[*]:-}"

run "$sculpt" init --arch llama --size "$size" --out "$out/model"

# A model trained from scratch needs a far larger learning rate and more than one pass over a small sample than
# the fine-tuning defaults of `sculpt continual`; these apply unless given after `--`.
trainer_defaults=()
for pair in "--lr 2e-3" "--epochs 3"; do
  flag=${pair%% *}
  given=0
  for a in "${extra[@]:-}"; do [[ "$a" == "$flag" || "$a" == "$flag="* ]] && given=1; done
  [[ $given == 1 ]] || trainer_defaults+=($pair)
done

info extra_args "$(echo "${trainer_defaults[*]:-} ${extra[*]:-}" | xargs)"

# pass --seed only if this build's `continual` knows it (its contract names no seed flag)
seed_args=()
if [[ $dry_run == 1 ]] || "$sculpt" continual --help 2>/dev/null | grep -q -- '--seed'; then
  seed_args=(--seed "$seed")
else
  echo "run.sh: 'sculpt continual' has no --seed; the run's own default seed applies" >&2
fi

failed=()
for m in $methods; do
  start=$(date +%s)
  if [[ $m == multitask ]]; then
    # one task holding every task's training sample, shuffled together; same total number of examples
    args=(continual --model "$out/model" "${common[@]}" --order "multitask:$order" --method seqft --out "$out/$m")
  else
    args=(continual --model "$out/model" "${common[@]}" --order "$order" --method "$m" --out "$out/$m")
  fi
  if ! run "$sculpt" "${args[@]}" "${seed_args[@]}" "${trainer_defaults[@]}" "${extra[@]}"; then
    echo "run.sh: method $m failed (see the output above)" >&2
    failed+=("$m")
  fi
  info "wall_s.$m" "$(( $(date +%s) - start ))"
done

if [[ $dry_run == 0 && -n "$results" ]]; then
  python3 "$root/bench/cl/cl_results.py" "$out" --results "$results" --print
fi
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "run.sh: failed methods: ${failed[*]}" >&2
  exit 1
fi
echo "run.sh: runs in $out" >&2
