package dev.sculpt.ops;

import dev.sculpt.SculptException;
import dev.sculpt.ops.cpu.CpuOps;
import dev.sculpt.ops.cuda.CudaEmulatedLibrary;
import dev.sculpt.ops.cuda.CudaEmulatedOps;
import java.util.ArrayList;
import java.util.List;

/** The providers that can run on this machine, by the name a {@code --device} flag selects them with. */
public final class OpsProviders {
    private OpsProviders() {}

    /**
     * Names of the providers available here: "cpu" always; "cuda-emulated" where its library
     * (libsculpt_cuda_emulated.so, built where CMake and g++ exist) loads.
     */
    public static List<String> present() {
        List<String> names = new ArrayList<>(List.of("cpu"));
        if (CudaEmulatedLibrary.loaded()) names.add(CudaEmulatedOps.NAME);
        return List.copyOf(names);
    }

    /** A new provider; the caller closes it. */
    public static Ops create(String name) {
        if ("cpu".equals(name)) return new CpuOps();
        if (CudaEmulatedOps.NAME.equals(name)) {
            if (!CudaEmulatedLibrary.loaded()) {
                throw new SculptException("ops provider '" + name + "' is unavailable here: " + CudaEmulatedLibrary.unavailableReason());
            }
            return new CudaEmulatedOps();
        }
        throw new SculptException("unknown or unavailable ops provider '" + name + "' (available: " + present() + ")");
    }

}
