package dev.sculpt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backend;
import dev.sculpt.backend.Backends;
import dev.sculpt.linalg.Philox;
import dev.sculpt.tensor.MatrixBatch;
import java.io.File;
import java.io.InputStream;
import java.net.URL;
import java.util.Properties;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;

/**
 * Runs everywhere: the library behaves without CUDA (the probe answers once, with a reason, and the CPU
 * backend works), and where nvcc exists the build produced the CUDA libraries, linked to the shared CUDA 13 runtime
 * (one runtime with the org.bytedeco preset), which load even without a GPU where the toolkit's libcudart.so.13 is
 * found, and compute the Philox sketch bit for bit like Java from the very source the GPU uses.
 */
class CudaBuildAndProbeTest {
    private static final String LIB_DIR = "dev/sculpt/backend/cuda/" + Loader.getPlatform() + "/";

    private static boolean nvccPresent() {
        if (Boolean.getBoolean("sculpt.native.skip") || "1".equals(System.getenv("SCULPT_NATIVE_SKIP"))) return false;
        String[] candidates = {System.getenv("CUDACXX"), System.getenv("CUDA_HOME") == null ? null : System.getenv("CUDA_HOME") + "/bin/nvcc",
                "/usr/local/cuda/bin/nvcc"};
        for (String c : candidates) {
            if (c != null && new File(c).canExecute()) return true;
        }
        return CudaKernelEmulationTest.onPath("nvcc");
    }

    private static URL lib(String name) {
        return CudaBuildAndProbeTest.class.getClassLoader().getResource(LIB_DIR + name);
    }

    @Test
    void probeAnswersOnceWithAReasonAndCpuStillWorks() {
        if (Backends.cuda().isEmpty()) {
            String reason = Backends.cudaUnavailableReason();
            assertNotNull(reason);
            assertFalse(reason.isBlank());
            assertEquals(reason, Backends.cudaUnavailableReason(), "the probe is cached");
            assertSame(Backends.cpu(), Backends.get("auto"));
            assertEquals(1, Backends.available().size());
            SculptException e = assertThrows(SculptException.class, () -> Backends.get("cuda"));
            assertTrue(e.getMessage().contains(reason), e.getMessage());
        } else {
            assertEquals(null, Backends.cudaUnavailableReason());
            assertEquals("cuda", Backends.get("auto").name());
        }
        Backend cpu = Backends.cpu();
        float[] values = new float[2 * 3 * 4];
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < values.length; i++) values[i] = (float) r.nextGaussian();
        try (MatrixBatch h = MatrixBatch.ofHost(2, 3, 4, values); MatrixBatch copy = cpu.download(cpu.upload(h))) {
            for (int i = 0; i < values.length; i++) assertEquals(values[i], copy.buffer().get(i));
        }
    }

    /** cmake/build-native.sh leaves native-build.properties (status=built|skipped, reason) next to the classes. */
    @Test
    void nativeBuildRanWhereNvccExists() throws Exception {
        URL marker = CudaBuildAndProbeTest.class.getClassLoader().getResource("dev/sculpt/backend/cuda/native-build.properties");
        assumeTrue(marker != null, "the native build step did not run (-Dsculpt.native.skip=true)");
        Properties p = new Properties();
        try (InputStream in = marker.openStream()) {
            p.load(in);
        }
        if ("built".equals(p.getProperty("status"))) {
            assertNotNull(lib("libsculpt_cuda.so"), "libsculpt_cuda.so missing from the classes after a native build");
            assertNotNull(lib("libjniCudaKernels.so"), "libjniCudaKernels.so missing from the classes after a native build");
        } else {
            String reason = p.getProperty("reason", "");
            assumeTrue(reason.contains("not found"), "native build skipped on purpose: " + reason);
            assertFalse(nvccPresent(), "the native build said '" + reason + "' but nvcc is here");
        }
    }

    @Test
    void builtLibraryLoadsWithoutAGpuAndMatchesJavaPhilox() {
        assumeTrue(lib("libjniCudaKernels.so") != null, "the CUDA JNI library was not built here (no nvcc)");
        // loads without a driver: the shared libcudart.so.13 of the toolkit that built it opens libcuda.so.1 lazily
        Loader.load(CudaKernels.class);
        int[] count = new int[1];
        int err = CudaKernels.sculpt_cuda_device_count(count);
        String text = CudaKernels.sculpt_cuda_error_string(err).getString();
        assertFalse(text.isBlank());
        if (err != 0 || count[0] == 0) {
            assertTrue(Backends.cuda().isEmpty());
            String reason = Backends.cudaUnavailableReason();
            assertTrue(reason.contains("device") || reason.contains("driver"), reason);
        }
        assertTrue(CudaKernels.sculpt_cuda_runtime_version() >= 12000);
        SplittableRandom r = new SplittableRandom();
        for (int i = 0; i < 20_000; i++) {
            long seed = r.nextLong();
            long b = r.nextInt(1 << 16);
            long e = i < 10_000 ? r.nextInt(1 << 20) : r.nextLong() & Long.MAX_VALUE;
            float expected = Philox.gaussian(seed, b, e);
            float got = CudaKernels.sculpt_philox_gaussian_host(seed, b, e);
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(got),
                    "seed " + seed + " matrix " + b + " element " + e + ": " + expected + " vs " + got);
        }
    }

    /**
     * nvcc built every kernel file for the GPUs the project targets: each fat binary in libsculpt_cuda.so (one per
     * .cu file of native/cuda) carries sm_80 (A100) and sm_90 (H100/H200) machine code and compute_90 PTX for later
     * GPUs, and nothing else.
     */
    @Test
    void everyKernelFileIsBuiltForSm80AndSm90() throws Exception {
        URL so = lib("libsculpt_cuda.so");
        assumeTrue(so != null, "libsculpt_cuda.so was not built here (no nvcc)");
        byte[] bytes;
        try (InputStream in = so.openStream()) {
            bytes = in.readAllBytes();
        }
        java.util.List<java.util.List<FatBinaries.Entry>> fatbins = FatBinaries.read(bytes);
        long sources;
        try (var files = java.nio.file.Files.list(CudaKernelEmulationTest.repoRoot().resolve("native/cuda"))) {
            sources = files.filter(f -> f.toString().endsWith(".cu")).count();
        }
        assertEquals(sources, fatbins.size(), "one fat binary per .cu file of native/cuda");
        java.util.Set<FatBinaries.Entry> want = java.util.Set.of(new FatBinaries.Entry(FatBinaries.CUBIN, 80),
                new FatBinaries.Entry(FatBinaries.CUBIN, 90), new FatBinaries.Entry(FatBinaries.PTX, 90));
        for (java.util.List<FatBinaries.Entry> f : fatbins) assertEquals(want, java.util.Set.copyOf(f), "fat binary entries " + f);
    }

    /**
     * One CUDA runtime in the process: libsculpt_cuda.so needs the shared libcudart.so.13, the soname the
     * org.bytedeco cuda 13.1 preset's cudart, cuBLAS and cuSOLVER bindings load, and carries no static copy of it.
     */
    @Test
    void theLibraryLinksTheSharedCuda13Runtime() throws Exception {
        URL so = lib("libsculpt_cuda.so");
        assumeTrue(so != null, "libsculpt_cuda.so was not built here (no nvcc)");
        assumeTrue(CudaKernelEmulationTest.onPath("readelf") && CudaKernelEmulationTest.onPath("nm"),
                "no readelf/nm (binutils) on this machine: linkage not checked");
        java.nio.file.Path copy = java.nio.file.Files.createTempFile("libsculpt_cuda", ".so");
        try (InputStream in = so.openStream()) {
            java.nio.file.Files.copy(in, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        copy.toFile().deleteOnExit();
        String dynamic = run("readelf", "-d", copy.toString());
        assertTrue(dynamic.contains("Shared library: [libcudart.so.13]"), "no DT_NEEDED libcudart.so.13:\n" + dynamic);
        // a static cudart defines the runtime API inside the library; the shared one leaves it undefined
        String defined = run("nm", "-D", "--defined-only", copy.toString());
        assertFalse(defined.contains(" cudaMalloc"), "libsculpt_cuda.so defines cudaMalloc itself: cudart is linked statically");
        String undefined = run("nm", "-D", "--undefined-only", copy.toString());
        assertTrue(undefined.contains("cudaMalloc"), "cudaMalloc is not imported from libcudart.so.13:\n" + undefined);
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
        return out;
    }

    /**
     * Every C function CudaKernels binds is defined in libsculpt_cuda.so. The JNI library loads lazily, so a
     * kernel source left out of the CMake build (a stale file list) would otherwise only fail on a GPU, at
     * the first call.
     */
    @Test
    void everyBoundKernelIsExportedByTheLibrary() throws Exception {
        URL so = lib("libsculpt_cuda.so");
        assumeTrue(so != null, "libsculpt_cuda.so was not built here (no nvcc)");
        assumeTrue(CudaKernelEmulationTest.onPath("nm"), "no nm (binutils) on this machine: exported symbols not checked");
        java.nio.file.Path copy = java.nio.file.Files.createTempFile("libsculpt_cuda", ".so");   // it may sit in a jar
        try (InputStream in = so.openStream()) {
            java.nio.file.Files.copy(in, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        copy.toFile().deleteOnExit();
        Process p = new ProcessBuilder("nm", "-D", "--defined-only", copy.toString()).redirectErrorStream(true).start();
        String symbols = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), symbols);
        java.util.Set<String> defined = new java.util.HashSet<>();
        for (String line : symbols.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 3) defined.add(f[2]);
        }
        int bound = 0;
        for (java.lang.reflect.Method m : CudaKernels.class.getDeclaredMethods()) {
            if (!java.lang.reflect.Modifier.isNative(m.getModifiers()) || !m.getName().startsWith("sculpt_")) continue;
            bound++;
            assertTrue(defined.contains(m.getName()), m.getName() + " is bound in CudaKernels but not defined in libsculpt_cuda.so");
        }
        assertTrue(bound >= 20, "only " + bound + " bound kernels found");
    }
}
