package dev.sculpt.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import dev.sculpt.backend.cuda.CudaProbe;
import dev.sculpt.tensor.Device;
import org.junit.jupiter.api.Test;

/** Provider selection: "cuda" only where CUDA is usable, "auto" never the emulation, and a clear error otherwise. */
class OpsProvidersTest {
    @Test
    void cudaIsListedExactlyWhereItIsUsableAndAutoFollows() {
        boolean usable = CudaProbe.usable();
        assertEquals(usable, OpsProviders.present().contains("cuda"), "present: " + OpsProviders.present());
        assertEquals("cpu", OpsProviders.present().get(0));
        try (Ops auto = OpsProviders.create(OpsProviders.AUTO)) {
            assertEquals(usable ? "cuda" : "cpu", auto.name(), "auto picks cuda where usable, else cpu (never cuda-emulated)");
        }
        if (usable) {
            assertNull(OpsProviders.unavailableReason("cuda"));
            assertNotNull(CudaProbe.description());
            try (Ops cuda = OpsProviders.create("cuda")) {
                assertEquals(Device.CUDA, cuda.device());
            }
            assertEquals(1, mappedCudaRuntimes().size(), "one CUDA runtime in the process: " + mappedCudaRuntimes());
        }
    }

    /** The distinct libcudart files mapped into this process (Linux). */
    private static java.util.Set<String> mappedCudaRuntimes() {
        java.util.Set<String> files = new java.util.TreeSet<>();
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/maps"))) {
                int i = line.indexOf('/');
                if (i >= 0 && line.substring(i).contains("libcudart")) files.add(line.substring(i));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return files;
    }

    @Test
    void cudaWithoutAGpuSaysWhatIsMissing() {
        if (CudaProbe.usable()) return;   // a GPU machine: covered by the test above and the contract suite
        String reason = OpsProviders.unavailableReason("cuda");
        assertNotNull(reason);
        assertFalse(reason.isBlank());
        assertEquals(reason, CudaProbe.unavailableReason(), "the probe runs once and is cached");
        SculptException e = assertThrows(SculptException.class, () -> OpsProviders.create("cuda"));
        assertTrue(e.getMessage().contains("'cuda'") && e.getMessage().contains(reason), e.getMessage());
        // one of the things the probe checks is named: the driver, the runtime, the device, or a library
        assertTrue(reason.matches("(?s).*(driver|libcudart|device|library|cuBLAS|disabled).*"), reason);
        if (!new java.io.File("/dev/nvidiactl").exists() && !libcudaPresent()) {
            assertTrue(reason.contains("driver") && reason.contains("libcuda.so.1"), "no driver here: " + reason);
        }
    }

    private static boolean libcudaPresent() {
        for (String d : new String[] {"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/local/nvidia/lib64", "/lib/x86_64-linux-gnu"}) {
            if (new java.io.File(d, "libcuda.so.1").exists()) return true;
        }
        return false;
    }

    @Test
    void unknownNamesAreRefusedWithTheChoices() {
        SculptException e = assertThrows(SculptException.class, () -> OpsProviders.create("tpu"));
        assertTrue(e.getMessage().contains("'tpu'") && e.getMessage().contains("cuda-emulated") && e.getMessage().contains("auto"),
                e.getMessage());
        assertThrows(SculptException.class, () -> OpsProviders.create(null));
    }
}
