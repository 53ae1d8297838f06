#!/usr/bin/env bash
# One command on a GPU machine (no network, maybe no JDK): builds the CUDA library with the local toolkit,
# runs the CUDA tests and the contract suites with the CUDA providers (OpsContractTest over cpu, cuda and
# cuda-emulated; the backend contract suite; CudaBackendTest; the arena and provider-selection tests; tiny LLaMA and T5
# logits, gradients and an AdamW step on cuda against cpu; the arena's peak against the memory plan over tiny
# training steps, PeakMemoryPlanTest, whose ratios go into summary.txt; the tiny training-step benchmark, the step's
# device-to-host traffic, and two-task continual runs on cuda against cpu, fp32 and bf16), then the GPU benchmarks
# (issue 15's: a ~1B bf16 training step, the 224-target LLaMA-7B decomposition; then one layer through the ops
# provider and the SVD/projection kernels). Needs bench/gpu/pack/ from bench/gpu/pack.sh carried along. Writes everything into $OUT
# (default bench/gpu/out), seven files (the device tool returns at most eight): env.txt, native-build.log, tests.log,
# junit-reports.tar.gz (the XML reports), bench.log, gpu-results.md, summary.txt. Exits 2 at once, with the reason, on a machine without an NVIDIA GPU and driver.
# Knobs: SCULPT_GPU_SELECT (JUnit console selectors, default the backend, linalg and ops packages and the classes below),
#        SCULPT_BENCH_REPS (default 3), SCULPT_SKIP_BENCH=1, SCULPT_TIME_BUDGET (seconds, default 560).
set -uo pipefail
start=$SECONDS
repo=$(cd "$(dirname "$0")/../.." && pwd)
pack="$repo/bench/gpu/pack"
out=${OUT:-$repo/bench/gpu/out}
mkdir -p "$out"
summary="$out/summary.txt"
: > "$summary"
say() { echo "[gpu run $((SECONDS - start))s] $*" | tee -a "$summary"; }

# 0. fail fast where there is nothing to run on: no driver, no GPU, or no carried pack
# (a GPU is listed by nvidia-smi, or, where nvidia-smi is not installed, a /dev/nvidiaN device node exists)
gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ' || true)
nodes=$(ls /dev/nvidia[0-9]* 2>/dev/null | wc -l)
if [[ "${gpus:-0}" -lt 1 && "${nodes:-0}" -lt 1 ]]; then
  driver=$( (ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1') && echo "libcuda.so.1 present" || echo "no libcuda.so.1")
  say "no NVIDIA GPU here (nvidia-smi $(command -v nvidia-smi > /dev/null && echo "lists no GPU" || echo "not found"), no /dev/nvidiaN, $driver):" \
      "bench/gpu/run.sh is for a GPU machine; here run ./mvnw -B test (cuda-emulated covers the CUDA provider's code paths)"
  exit 2
fi
[[ -d "$pack" ]] || { say "no $pack: run bench/gpu/pack.sh on a development machine and carry bench/gpu/pack"; exit 2; }
work=$(mktemp -d /tmp/sculpt-gpu.XXXXXX)

{
  echo "date: $(date -u)"; echo "commit: $(cat "$pack/COMMIT" 2>/dev/null)"; uname -a; ldd --version 2>&1 | head -1
  nvidia-smi 2>&1 | head -20; echo; nvcc --version 2>&1 | tail -2; /usr/local/cuda/bin/nvcc --version 2>&1 | tail -1
  cmake --version 2>&1 | head -1; g++ --version 2>&1 | head -1; echo "system java: $(java -version 2>&1 | head -1)"
  nproc; free -g | head -2
} > "$out/env.txt" 2>&1

# 1. a Java runtime: the carried one (portable Temurin build), else the machine's own
jre="$work/jre"
tar -C "$work" -xJf "$pack/jre.tar.xz"
java="$jre/bin/java"
if ! "$java" -version > /dev/null 2>&1; then
  say "the carried runtime does not start here; trying the system java"
  java=$(command -v java || true)
  [[ -n "$java" ]] || { say "no usable Java runtime"; exit 3; }
  jre=$(dirname "$(dirname "$(readlink -f "$java")")")
fi
jver=$("$java" -version 2>&1 | head -1 | sed -E 's/.*"([0-9]+).*/\1/')
say "java: $("$java" -version 2>&1 | head -1)"

# 2. the CUDA library and JNI glue, built here with this machine's nvcc, cmake and g++
classes="$work/classes"
cp -r "$pack/classes" "$classes"
libdir="$classes/dev/sculpt/backend/cuda/linux-x86_64"
rm -f "$libdir"/*.so
export PATH="$PATH:/usr/local/cuda/bin"
javacpp_jar=$(ls "$pack"/lib/javacpp-[0-9]*.jar | grep -v linux | head -1)
# SCULPT_EMULATED_SKIP: the emulated library (cuda-emulated provider) built by pack.sh is kept as it is
if JAVA_HOME="$jre" JNI_INCLUDE="$pack/include" SCULPT_NATIVE_JOBS=$(nproc) SCULPT_EMULATED_SKIP=1 \
     bash "$repo/cmake/build-native.sh" "$classes" "$work/native-build" "$javacpp_jar" linux-x86_64 > "$out/native-build.log" 2>&1 \
   && [[ -f "$libdir/libsculpt_cuda.so" && -f "$libdir/libjniCudaKernels.so" ]]; then
  say "native build: OK ($(tail -1 "$out/native-build.log"))"
else
  say "native build FAILED here (see native-build.log); using the libraries built on the development machine"
  cp "$pack/classes/dev/sculpt/backend/cuda/linux-x86_64/"*.so "$libdir/" 2>/dev/null || say "no prebuilt libraries either"
fi

# 3. the CUDA libraries the org.bytedeco cuda preset links (libcudart/libcublas/libcusolver)
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
  [[ -d "$d" ]] && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
done
if ! ls /usr/local/cuda/lib64/libcublas.so.13* > /dev/null 2>&1; then
  for d in $(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null); do
    for l in "$d"/nvidia/*/lib "$d"/nvidia/cu13/lib; do [[ -d "$l" ]] && export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$l"; done
  done
  say "no libcublas.so.13 in /usr/local/cuda/lib64; added Python's nvidia wheels to LD_LIBRARY_PATH"
fi
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH" >> "$out/env.txt"
# one CUDA runtime: libsculpt_cuda.so must need the shared libcudart.so.13, the one the preset's bindings load
{ echo "libsculpt_cuda.so:"; readelf -d "$libdir/libsculpt_cuda.so" 2>&1 | grep -E 'NEEDED|RUNPATH'
  ldd "$libdir/libsculpt_cuda.so" 2>&1 | grep -E 'cudart|not found'; } >> "$out/env.txt"

cp_jars=$(ls "$pack"/lib/*.jar | grep -v console-standalone | tr '\n' ':')
cp="$classes:$pack/test-classes:$pack/bench-classes:$cp_jars"
jvm=(-Xmx32g -Dorg.bytedeco.javacpp.maxBytes=0 -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 --add-modules jdk.incubator.vector
     -Dsculpt.repo.root="$repo" -Dorg.slf4j.simpleLogger.log.org.bytedeco=error
     -Dsculpt.parity.provider=cuda)   # the LLaMA/T5 provider parity tests compare the real device with cpu
(( jver >= 22 )) && jvm+=(--enable-native-access=ALL-UNNAMED)

# 4. tests: the CUDA tests and the contract suite, which runs over every backend present
t0=$SECONDS
read -r -a select <<< "${SCULPT_GPU_SELECT:---select-package dev.sculpt.backend --select-package dev.sculpt.linalg --select-package dev.sculpt.ops --select-class dev.sculpt.model.llama.LlamaProviderParityTest --select-class dev.sculpt.model.t5.T5ProviderParityTest --select-class dev.sculpt.osft.GuardInvariantOnProviderTest --select-class dev.sculpt.train.DenseAdamWUpdaterTest --select-class dev.sculpt.continual.EmulatedMidTaskResumeTest --select-class dev.sculpt.plan.PeakMemoryPlanTest --select-class dev.sculpt.train.DeviceStepBenchmarkTest --select-class dev.sculpt.train.DeviceStepTrafficTest --select-class dev.sculpt.continual.EmulatedContinualParityTest --select-class dev.sculpt.continual.Bf16ContinualTest}"
"$java" "${jvm[@]}" -jar "$pack"/lib/junit-platform-console-standalone-*.jar execute --class-path "$cp" "${select[@]}" \
    --reports-dir "$work/junit" --details=tree --disable-banner --disable-ansi-colors > "$out/tests.log" 2>&1
rc=$?
tar -C "$work" -czf "$out/junit-reports.tar.gz" junit 2>/dev/null
say "tests: exit $rc in $((SECONDS - t0)) s: $(grep -E 'tests (successful|failed|skipped|aborted)' "$out/tests.log" | tr -s ' ' | tr '\n' ';')"
grep -q "CudaBackendTest" "$out/tests.log" && grep -A2 -E "no CUDA backend" "$out/tests.log" | head -3 >> "$summary"
# PeakMemoryPlanTest: the arena's peak against the memory plan, tiny LLaMA and T5 training steps on the GPU
grep -E '^(llama|t5) \(seed .*peak .* plan ' "$out/tests.log" | sed 's/^/peak device memory against the plan: /' >> "$summary"
# the contract suite names each case by its provider: count the cases that ran on the GPU provider
cuda_ok=$(grep -cE '─ cuda( .*)? ✔' "$out/tests.log" || true)
cuda_bad=$(grep -cE '─ cuda( .*)? ✘' "$out/tests.log" || true)
say "contract cases on the cuda provider: ${cuda_ok:-0} passed, ${cuda_bad:-0} failed (none at all: the provider was not usable, see OpsProvidersTest)"

# 5. benchmarks, each within what is left of the time budget (a program cut short leaves its rows so far in bench.log):
# first issue 15's item-6 figures (the ~1B bf16 training step against its GEMM floor with the OSFT overhead and the
# peak against the plan; the 224-target LLaMA-7B decomposition against a gesvdj loop), then the cuda ops provider on
# one LLaMA layer and the decomposition/projection kernels against their GEMM floors
bench() {   # bench NAME RESULT-FILE MAIN-CLASS ARGS...
  local name=$1 result=$2 main=$3; shift 3
  local left=$(( ${SCULPT_TIME_BUDGET:-560} - (SECONDS - start) ))
  if (( left <= 30 )); then say "$name skipped: only $left s of the time budget left"; return; fi
  local t0=$SECONDS
  echo "== $name" >> "$out/bench.log"
  timeout "$left" "$java" "${jvm[@]}" -cp "$cp" "$main" "$result" "$@" >> "$out/bench.log" 2>&1
  say "$name: exit $? in $((SECONDS - t0)) s"
  [[ -f "$result" ]] && { echo; cat "$result"; } >> "$out/gpu-results.md"
}
if [[ "${SCULPT_SKIP_BENCH:-0}" != 1 ]]; then
  : > "$out/gpu-results.md"
  bench "training step benchmark (~1B, bf16)" "$work/step-results.md" dev.sculpt.train.DeviceStepBenchmark cuda cuda "${SCULPT_BENCH_REPS:-3}"
  { grep -E '^\[step benchmark\]' "$out/bench.log"; grep -E '^(Peak device memory|Device memory in use)' "$work/step-results.md" 2>/dev/null; } \
    | sed 's/^/1B bf16 step: /' >> "$summary"
  bench "decomposition of 224 LLaMA-7B targets" "$work/decomposition-results.md" dev.sculpt.backend.cuda.TargetDecompositionBenchmark 0.5 1
  grep -E '^\| all ' "$work/decomposition-results.md" 2>/dev/null | sed 's/^/224-target decomposition: /' >> "$summary"
  bench "provider layer benchmark" "$work/ops-results.md" dev.sculpt.ops.cuda.ProviderLayerBenchmark cuda "${SCULPT_BENCH_REPS:-3}"
  bench "decomposition and projection kernels benchmark" "$work/kernel-results.md" dev.sculpt.backend.cuda.GpuBenchmark "${SCULPT_BENCH_REPS:-3}"
fi
rm -rf "$work"
say "done in $((SECONDS - start)) s; results in $out"
exit $rc
