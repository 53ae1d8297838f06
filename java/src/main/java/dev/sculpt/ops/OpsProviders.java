package dev.sculpt.ops;

import dev.sculpt.SculptException;
import dev.sculpt.backend.cuda.CudaProbe;
import dev.sculpt.ops.cpu.CpuOps;
import dev.sculpt.ops.cuda.CudaEmulatedLibrary;
import dev.sculpt.ops.cuda.CudaOps;
import java.util.ArrayList;
import java.util.List;

/**
 * The providers that can run on this machine, by the name a {@code --device} flag selects them with: {@code cpu},
 * {@code cuda}, {@code cuda-emulated}, and {@code auto} (cuda where it is usable, else cpu; never the emulation,
 * which is for tests).
 */
public final class OpsProviders {
    /** The name that picks the best provider present. */
    public static final String AUTO = "auto";

    private OpsProviders() {}

    /**
     * Names of the providers available here: "cpu" always; "cuda" where a device, a driver recent enough for the CUDA 13
     * runtime, cuBLAS and libsculpt_cuda.so are usable ({@link CudaProbe}); "cuda-emulated" where its library
     * (libsculpt_cuda_emulated.so, built where CMake and g++ exist) loads.
     */
    public static List<String> present() {
        List<String> names = new ArrayList<>(List.of("cpu"));
        if (CudaProbe.usable()) names.add(CudaOps.CUDA);
        if (CudaEmulatedLibrary.loaded()) names.add(CudaOps.EMULATED);
        return List.copyOf(names);
    }

    /** Why provider {@code name} is not present here (null when it is, or when the name is unknown). */
    public static String unavailableReason(String name) {
        if (CudaOps.CUDA.equals(name)) return CudaProbe.unavailableReason();
        if (CudaOps.EMULATED.equals(name)) return CudaEmulatedLibrary.unavailableReason();
        return null;
    }

    /**
     * A new provider; the caller closes it. {@code auto} gives cuda where it is usable, else cpu. A provider that is
     * not usable here is a SculptException saying what is missing (no driver, no device, no library).
     */
    public static Ops create(String name) {
        if (name == null) throw new SculptException("no ops provider named (expected one of cpu, cuda, cuda-emulated, auto)");
        if ("cpu".equals(name)) return new CpuOps();
        if (AUTO.equals(name)) return CudaProbe.usable() ? CudaOps.gpu() : new CpuOps();
        if (CudaOps.CUDA.equals(name) || CudaOps.EMULATED.equals(name)) {
            String reason = unavailableReason(name);
            if (reason != null) throw new SculptException("ops provider '" + name + "' is unavailable here: " + reason);
            return CudaOps.CUDA.equals(name) ? CudaOps.gpu() : CudaOps.emulated();
        }
        throw new SculptException("unknown ops provider '" + name + "' (expected one of cpu, cuda, cuda-emulated, auto; "
                + "present here: " + present() + ")");
    }
}
