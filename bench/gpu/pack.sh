#!/usr/bin/env bash
# Prepares bench/gpu/pack/ (git-ignored): everything bench/gpu/run.sh needs on a GPU machine with no network
# and maybe no JDK. Run here, on a development machine; then carry bench/gpu/pack to the GPU machine with the
# working tree and run `bash bench/gpu/run.sh` there. Prints the carried size (limit: 64 MiB in all).
#   JLINK_JDK=/path/to/jdk  the JDK whose jlink builds the runtime (default: a Temurin JDK if present, its
#                           binaries run on any glibc >= 2.17; else JAVA_HOME)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
pack="$repo/bench/gpu/pack"
say() { echo "[gpu pack] $*"; }
cd "$repo"

say "building the library, the CUDA libraries (where nvcc exists), the test classes and the benchmark classes"
./mvnw -q -B -pl tests,bench -am test-compile

jdk=${JLINK_JDK:-}
if [[ -z "$jdk" ]]; then
  for c in /usr/lib/jvm/temurin-*-jdk-amd64 "${JAVA_HOME:-}"; do [[ -n "$c" && -x "$c/bin/jlink" ]] && { jdk=$c; break; }; done
fi
[[ -n "$jdk" ]] || jdk=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
say "runtime from $jdk"

rm -rf "$pack"
mkdir -p "$pack/lib" "$pack/include/linux"
"$jdk/bin/jlink" --add-modules java.base,java.logging,java.management,java.xml,jdk.unsupported,jdk.incubator.vector \
    --strip-debug --no-man-pages --no-header-files --output "$pack/jre" 2>/dev/null
# xz packs the runtime about 3x smaller than jlink's own zip compression
tar -C "$pack" -cf - jre | xz -6 -T2 > "$pack/jre.tar.xz"
rm -rf "$pack/jre"
cp "$jdk/include/jni.h" "$pack/include/"
cp "$jdk/include/linux/jni_md.h" "$pack/include/linux/"

# runtime jars the backend, linalg and contract tests use (not the tokenizer, search or plotting stacks)
keep='javacpp|openblas|/cuda/|slf4j|jackson|picocli|progressbar|jline'
tr ':' '\n' < sculpt-cli/target/classpath.txt | grep '\.jar$' | grep -E "$keep" | while read -r jar; do cp "$jar" "$pack/lib/"; done
./mvnw -q -B dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:1.11.4 \
    -DoutputDirectory="$pack/lib" > /dev/null
mkdir -p "$pack/classes"   # every module's classes in one folder; sculpt-cuda's include libsculpt_cuda.so + JNI glue built here (fallback)
for m in sculpt-core sculpt-cuda sculpt-engine sculpt-continual sculpt-evolve sculpt-cli; do cp -r "$m/target/classes/." "$pack/classes/"; done
cp -r tests/target/test-classes "$pack/test-classes"
cp -r bench/target/classes "$pack/bench-classes"           # GpuBenchmark
git rev-parse HEAD > "$pack/COMMIT" 2>/dev/null || true

tree_bytes=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
pack_bytes=$(du -sb "$pack" | cut -f1)
say "pack: $((pack_bytes / 1048576)) MiB, working tree: $((tree_bytes / 1048576)) MiB, total $(((pack_bytes + tree_bytes) / 1048576)) MiB of 64"
