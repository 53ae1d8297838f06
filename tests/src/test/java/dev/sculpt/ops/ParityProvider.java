package dev.sculpt.ops;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sculpt.ops.cuda.CudaEmulatedLibrary;
import dev.sculpt.ops.cuda.CudaEmulatedOps;
import java.io.File;

/**
 * The device provider the model parity tests compare with cpu: cuda-emulated, or what {@code -Dsculpt.parity.provider}
 * names (bench/gpu/run.sh passes {@code cuda} on a GPU machine, so that the same tests check the real device).
 */
public final class ParityProvider {
    /** The provider's name. */
    public static final String DEVICE = System.getProperty("sculpt.parity.provider", CudaEmulatedOps.NAME);

    private ParityProvider() {}

    /**
     * Fails unless the provider is usable. The one skip: cuda-emulated where its build cannot exist (no cmake or g++);
     * with them present its absence is a failure, and a named real provider must be there.
     */
    public static void require() {
        if (!DEVICE.equals(CudaEmulatedOps.NAME)) {
            if (!OpsProviders.present().contains(DEVICE)) fail("provider " + DEVICE + " is not usable here: " + OpsProviders.present());
            return;
        }
        if (OpsProviders.present().contains(CudaEmulatedOps.NAME)) return;
        String reason = CudaEmulatedLibrary.unavailableReason();
        assumeTrue(onPath("cmake") && onPath("g++"), "cmake or g++ is absent, so no cuda-emulated provider: " + reason);
        fail("cuda-emulated is absent although cmake and g++ are here: " + reason);
    }

    private static boolean onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(File.pathSeparator)) if (new File(dir, exe).canExecute()) return true;
        return false;
    }
}
