package dev.sculpt.ops.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sculpt.SculptException;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.OpsProviders;
import dev.sculpt.ops.Tensor;
import java.io.File;
import java.io.InputStream;
import java.net.URL;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * The cuda-emulated provider is present wherever its native build ran (CMake and g++ exist), so that
 * OpsContractTest never silently drops it; where the build was skipped the provider is absent with a reason, and
 * asking for it is an error that gives that reason. Also: the emulated kernels report a bad argument through
 * their wrappers' cudaError codes as a named error.
 */
class CudaEmulatedBuildTest {
    private static boolean onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(File.pathSeparator)) {
            if (new File(dir, exe).canExecute()) return true;
        }
        return false;
    }

    private static Properties marker() throws Exception {
        URL url = CudaEmulatedBuildTest.class.getClassLoader().getResource("dev/sculpt/ops/cuda/emulated-build.properties");
        assumeTrue(url != null, "the native build step did not run (-Dsculpt.native.skip=true): no cuda-emulated provider");
        Properties p = new Properties();
        try (InputStream in = url.openStream()) {
            p.load(in);
        }
        return p;
    }

    @Test
    void providerIsPresentWhereItsBuildRan() throws Exception {
        Properties p = marker();
        if ("built".equals(p.getProperty("status"))) {
            assertTrue(CudaEmulatedLibrary.loaded(), "built but not loadable: " + CudaEmulatedLibrary.unavailableReason());
            assertTrue(OpsProviders.present().contains(CudaEmulatedOps.NAME), "present: " + OpsProviders.present());
            try (Ops ops = OpsProviders.create(CudaEmulatedOps.NAME)) {
                assertEquals(CudaEmulatedOps.NAME, ops.name());
            }
        } else {
            String reason = p.getProperty("reason", "");
            assertFalse(OpsProviders.present().contains(CudaEmulatedOps.NAME));
            SculptException e = assertThrows(SculptException.class, () -> OpsProviders.create(CudaEmulatedOps.NAME));
            assertTrue(e.getMessage().contains(CudaEmulatedOps.NAME), e.getMessage());
            assumeTrue(reason.contains("not found"), "emulated build skipped on purpose: " + reason);
            assertFalse(onPath("g++") && onPath("cmake"), "the emulated build said '" + reason + "' but cmake and g++ are here");
        }
    }

    @Test
    void kernelErrorCodesBecomeNamedErrors() {
        assumeTrue(CudaEmulatedLibrary.loaded(), "no cuda-emulated library here: " + CudaEmulatedLibrary.unavailableReason());
        try (Ops ops = OpsProviders.create(CudaEmulatedOps.NAME); Tensor x = ops.allocate("x", 4)) {
            // blocks = 0 is an invalid value for the reduction wrapper (cudaErrorInvalidValue = 1)
            assertEquals(1, CudaEmulatedKernels.sculpt_reduce(x.deviceAddress(), 4, 0, x.deviceAddress(), 0, 0));
            // an unknown activation kind likewise, through the wrapper's own check
            assertEquals(1, CudaEmulatedKernels.sculpt_gated_forward(x.deviceAddress(), x.deviceAddress(), x.deviceAddress(), 4, 7, 0));
            assertNotNull(ops.describe());
        }
    }
}
