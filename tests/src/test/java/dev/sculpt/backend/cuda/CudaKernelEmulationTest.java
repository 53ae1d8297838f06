package dev.sculpt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real CUDA kernel sources on the CPU, CUDA threads as fibers (native/test/cuda_emulation.h), wherever g++ exists, GPU or
 * not. kernel_emulation_test.cpp: Philox fill, finite check, Gram, Cholesky with inverse and failure flag,
 * parallel Jacobi, eigen selection, the layout helpers and the fused projection update against float64
 * references. engine_emulation_test.cpp: the training engine's kernels (RMSNorm, RoPE, SwiGLU / gelu_new / ReLU,
 * attention softmax, cross-entropy, embedding) forward against float64 and backward against central finite
 * differences, and AdamW bit for bit against the CPU optimizer's arithmetic, on fresh random inputs (the seed is
 * printed); also a host launch wrapper end to end, and a launch beyond the device's limits refused with
 * cudaErrorInvalidConfiguration.
 */
class CudaKernelEmulationTest {
    static Path repoRoot() {
        String p = System.getProperty("sculpt.repo.root");
        return p != null ? Path.of(p).toAbsolutePath().normalize() : Path.of("..").toAbsolutePath().normalize();
    }

    /** Whether an executable named {@code exe} is on PATH (also used by {@link CudaBuildAndProbeTest}). */
    static boolean onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(File.pathSeparator)) {
            if (new File(dir, exe).canExecute()) return true;
        }
        return false;
    }

    private static String run(List<String> cmd, Path dir) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\n" + out);
        return out;
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"kernel_emulation_test, all kernel checks passed",
            "engine_emulation_test, all engine kernel checks passed"})
    void kernelsPassTheirFloat64ChecksOnCpuThreads(String program, String success) throws Exception {
        assumeTrue(onPath("g++"), "no g++ on this machine: the kernel emulation is not built");
        Path root = repoRoot();
        Path src = root.resolve("native/test/" + program + ".cpp");
        assertTrue(Files.exists(src), "the project's native test source is missing: " + src);   // part of the project: fail, never skip
        Path exe = Files.createTempDirectory("sculpt-kernels").resolve(program);
        try {
            run(List.of("g++", "-std=c++20", "-O1", "-pthread", "-DSCULPT_EMULATION", "-I", "native/include", "-I", "native/cuda",
                    "-I", "native/test", src.toString(), "-o", exe.toString()), root);
            String out = run(List.of(exe.toString()), root);
            assertTrue(out.contains(success), out);
        } finally {
            Files.deleteIfExists(exe);
            Files.deleteIfExists(exe.getParent());
        }
    }
}
