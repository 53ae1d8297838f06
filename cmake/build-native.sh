#!/usr/bin/env bash
# Builds, into the classes folder, with their JavaCPP JNI glue:
#   1. libsculpt_cuda_emulated.so (CMake + g++ only): the engine's CUDA sources under the thread-emulation shim,
#      for the cuda-emulated ops provider;
#   2. libsculpt_cuda.so (CMake + nvcc): the CUDA kernel library.
# Called by Maven in process-classes: build-native.sh CLASSES_DIR BUILD_DIR JAVACPP_JAR PLATFORM.
# Each part skips with a message, and exit 0, where its tools are missing: the CPU path needs none of them.
# Skip on purpose with -Dsculpt.native.skip=true (Maven) or SCULPT_NATIVE_SKIP=1; SCULPT_EMULATED_SKIP=1 skips part 1
# only (bench/gpu/run.sh: the GPU machine keeps the emulated library built on the development machine).
# Also used by bench/gpu/run.sh on the GPU machine (there JNI_INCLUDE may point at carried jni.h headers).
set -euo pipefail
classes=$1; build=$2; javacpp_jar=$3; platform=$4
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
say() { echo "[sculpt native] $*"; }
# what happened, for the tests (CudaBuildAndProbeTest, OpsContractTest): status=built|skipped and why
marker_in() {
  mkdir -p "$classes/$1"
  printf 'status=%s\nreason=%s\n' "$3" "$4" > "$classes/$1/$2"
}
marker() { marker_in dev/sculpt/backend/cuda native-build.properties "$@"; }
emu_marker() { marker_in dev/sculpt/ops/cuda emulated-build.properties "$@"; }

java_bin=java
[[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]] && java_bin="$JAVA_HOME/bin/java"
# jni_glue CLASS OUT_DIR STAMP_FILE: the JavaCPP JNI glue of binding CLASS, linked against the libraries in OUT_DIR,
# rebuilt only when the binding class or the header changed (g++, a few seconds)
jni_glue() {
  local cls_name=$1 out=$2 stamp_file=$3
  local cls="$classes/${cls_name//.//}.class" hdr="$repo/native/include/sculpt_cuda.h"
  local jni="$out/libjni${cls_name##*.}.so"
  local stamp
  stamp=$(cat "$cls" "$hdr" | sha256sum | cut -d' ' -f1)
  if [[ -f "$jni" && "$(cat "$stamp_file" 2>/dev/null)" == "$stamp" ]]; then return 0; fi
  local extra=()
  if [[ -n "${JNI_INCLUDE:-}" ]]; then extra+=(-Xcompiler "-I$JNI_INCLUDE" -Xcompiler "-I$JNI_INCLUDE/linux"); fi
  # -L through the compiler options, not platform.linkpath: that would bake an absolute rpath into the library
  "$java_bin" -cp "$classes:$javacpp_jar" org.bytedeco.javacpp.tools.Builder -classpath "$classes" \
      -Dplatform="$platform" -Xcompiler "-I$repo/native/include" -Xcompiler "-L$out" "${extra[@]}" \
      "$cls_name" > "$stamp_file.log" 2>&1 \
    || { cat "$stamp_file.log"; say "JavaCPP JNI build of $cls_name failed"; return 1; }
  echo "$stamp" > "$stamp_file"
}

if [[ "${SCULPT_NATIVE_SKIP:-0}" == 1 ]]; then
  say "SCULPT_NATIVE_SKIP=1: skipping the native builds"
  marker skipped "SCULPT_NATIVE_SKIP=1"; emu_marker skipped "SCULPT_NATIVE_SKIP=1"; exit 0
fi
host_missing=()
command -v cmake >/dev/null || host_missing+=(cmake)
command -v g++ >/dev/null || host_missing+=(g++)

# 1. libsculpt_cuda_emulated.so and its JNI glue: CMake and g++ only
if [[ "${SCULPT_EMULATED_SKIP:-0}" == 1 ]]; then
  say "SCULPT_EMULATED_SKIP=1: keeping the emulated CUDA library and its marker as they are"
elif (( ${#host_missing[@]} )); then
  say "skipping the emulated CUDA library: ${host_missing[*]} not found (the CPU provider needs none of them)"
  emu_marker skipped "${host_missing[*]} not found"
elif [[ ! -f "$classes/dev/sculpt/ops/cuda/CudaEmulatedKernels.class" ]]; then
  say "no CudaEmulatedKernels.class in $classes: skipping the emulated CUDA library"
  emu_marker skipped "no CudaEmulatedKernels.class"
else
  emu_out="$classes/dev/sculpt/ops/cuda/$platform"
  emu_build="$build/emulated"
  mkdir -p "$emu_out" "$emu_build"
  emu_start=$SECONDS
  if [[ ! -f "$emu_build/CMakeCache.txt" ]]; then
    cmake -S "$here/emulated" -B "$emu_build" -DCMAKE_BUILD_TYPE=Release -DSCULPT_OUT_DIR="$emu_out" \
          > "$emu_build/configure.log" 2>&1 \
      || { cat "$emu_build/configure.log"; say "CMake configure of the emulated CUDA library failed"; exit 1; }
  fi
  cmake --build "$emu_build" -j "${SCULPT_NATIVE_JOBS:-2}" > "$emu_build/build.log" 2>&1 \
    || { cat "$emu_build/build.log"; say "g++ build of the emulated CUDA library failed"; exit 1; }
  jni_glue dev.sculpt.ops.cuda.CudaEmulatedKernels "$emu_out" "$emu_build/jni.stamp" || exit 1
  emu_marker built "g++ $(command -v g++)"
  say "built $(cd "$emu_out" && ls *.so | tr '\n' ' ')in $((SECONDS - emu_start)) s (g++, CUDA emulation)"
fi

# 2. libsculpt_cuda.so and its JNI glue: CMake, g++ and nvcc
nvcc_bin=""
for c in "${CUDACXX:-}" "$(command -v nvcc || true)" "${CUDA_HOME:-/nonexistent}/bin/nvcc" /usr/local/cuda/bin/nvcc; do
  if [[ -n "$c" && -x "$c" ]]; then nvcc_bin=$c; break; fi
done
missing=("${host_missing[@]}")
[[ -n "$nvcc_bin" ]] || missing+=(nvcc)
if (( ${#missing[@]} )); then
  say "skipping the CUDA library: ${missing[*]} not found (the CPU backend needs none of them)"
  marker skipped "${missing[*]} not found"
  exit 0
fi

out="$classes/dev/sculpt/backend/cuda/$platform"
mkdir -p "$out" "$build"
start=$SECONDS
# libsculpt_cuda.so (incremental: CMake rebuilds only what changed)
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_COMPILER="$nvcc_bin" \
        -DSCULPT_OUT_DIR="$out" ${SCULPT_CMAKE_ARGS:-} > "$build/configure.log" 2>&1 \
    || { cat "$build/configure.log"; say "CMake configure failed"; exit 1; }
fi
cmake --build "$build" -j "${SCULPT_NATIVE_JOBS:-2}" > "$build/build.log" 2>&1 \
  || { cat "$build/build.log"; say "nvcc build failed"; exit 1; }

# the JNI glue
cls="$classes/dev/sculpt/backend/cuda/CudaKernels.class"
if [[ ! -f "$cls" ]]; then say "no CudaKernels.class in $classes: skipping the JNI glue"; marker skipped "no CudaKernels.class"; exit 0; fi
jni_glue dev.sculpt.backend.cuda.CudaKernels "$out" "$build/jni.stamp" || exit 1
marker built "nvcc $nvcc_bin"
say "built $(cd "$out" && ls *.so | tr '\n' ' ')in $((SECONDS - start)) s (nvcc: $nvcc_bin)"
