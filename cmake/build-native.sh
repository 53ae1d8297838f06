#!/usr/bin/env bash
# Builds the CUDA kernel library (CMake + nvcc) and its JavaCPP JNI glue into the classes folder.
# Called by Maven in process-classes: build-native.sh CLASSES_DIR BUILD_DIR JAVACPP_JAR PLATFORM.
# Skips with a message, and exit 0, where cmake, g++ or nvcc is missing: the CPU path needs none of them.
# Skip on purpose with -Dsculpt.native.skip=true (Maven) or SCULPT_NATIVE_SKIP=1.
# Also used by bench/gpu/run.sh on the GPU machine (there JNI_INCLUDE may point at carried jni.h headers).
set -euo pipefail
classes=$1; build=$2; javacpp_jar=$3; platform=$4
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
say() { echo "[sculpt native] $*"; }
# what happened, for the tests (CudaBuildAndProbeTest): status=built|skipped and why
marker() {
  mkdir -p "$classes/dev/sculpt/backend/cuda"
  printf 'status=%s\nreason=%s\n' "$1" "$2" > "$classes/dev/sculpt/backend/cuda/native-build.properties"
}

if [[ "${SCULPT_NATIVE_SKIP:-0}" == 1 ]]; then
  say "SCULPT_NATIVE_SKIP=1: skipping the CUDA build"; marker skipped "SCULPT_NATIVE_SKIP=1"; exit 0
fi
nvcc_bin=""
for c in "${CUDACXX:-}" "$(command -v nvcc || true)" "${CUDA_HOME:-/nonexistent}/bin/nvcc" /usr/local/cuda/bin/nvcc; do
  if [[ -n "$c" && -x "$c" ]]; then nvcc_bin=$c; break; fi
done
missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
[[ -n "$nvcc_bin" ]] || missing+=(nvcc)
if (( ${#missing[@]} )); then
  say "skipping the CUDA library: ${missing[*]} not found (the CPU backend needs none of them)"
  marker skipped "${missing[*]} not found"
  exit 0
fi

out="$classes/dev/sculpt/backend/cuda/$platform"
mkdir -p "$out" "$build"
start=$SECONDS
# 1. libsculpt_cuda.so (incremental: CMake rebuilds only what changed)
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_COMPILER="$nvcc_bin" \
        -DSCULPT_OUT_DIR="$out" ${SCULPT_CMAKE_ARGS:-} > "$build/configure.log" 2>&1 \
    || { cat "$build/configure.log"; say "CMake configure failed"; exit 1; }
fi
cmake --build "$build" -j "${SCULPT_NATIVE_JOBS:-2}" > "$build/build.log" 2>&1 \
  || { cat "$build/build.log"; say "nvcc build failed"; exit 1; }

# 2. the JNI glue, rebuilt only when the binding class or the header changed (g++, a few seconds)
jni="$out/libjniCudaKernels.so"
cls="$classes/dev/sculpt/backend/cuda/CudaKernels.class"
hdr="$repo/native/include/sculpt_cuda.h"
if [[ ! -f "$cls" ]]; then say "no CudaKernels.class in $classes: skipping the JNI glue"; marker skipped "no CudaKernels.class"; exit 0; fi
stamp=$(cat "$cls" "$hdr" | sha256sum | cut -d' ' -f1)
if [[ ! -f "$jni" || "$(cat "$build/jni.stamp" 2>/dev/null)" != "$stamp" ]]; then
  java_bin=java
  [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]] && java_bin="$JAVA_HOME/bin/java"
  extra=()
  if [[ -n "${JNI_INCLUDE:-}" ]]; then extra+=(-Xcompiler "-I$JNI_INCLUDE" -Xcompiler "-I$JNI_INCLUDE/linux"); fi
  # -L through the compiler options, not platform.linkpath: that would bake an absolute rpath into the library
  "$java_bin" -cp "$classes:$javacpp_jar" org.bytedeco.javacpp.tools.Builder -classpath "$classes" \
      -Dplatform="$platform" -Xcompiler "-I$repo/native/include" -Xcompiler "-L$out" "${extra[@]}" \
      dev.sculpt.backend.cuda.CudaKernels > "$build/javacpp.log" 2>&1 \
    || { cat "$build/javacpp.log"; say "JavaCPP JNI build failed"; exit 1; }
  echo "$stamp" > "$build/jni.stamp"
fi
marker built "nvcc $nvcc_bin"
say "built $(cd "$out" && ls *.so | tr '\n' ' ')in $((SECONDS - start)) s (nvcc: $nvcc_bin)"
