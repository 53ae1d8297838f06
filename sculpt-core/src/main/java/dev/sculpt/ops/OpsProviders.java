package dev.sculpt.ops;

import dev.sculpt.SculptException;
import dev.sculpt.ops.cpu.CpuOps;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The providers that can run on this machine, by the name a {@code --device} flag selects them with: "cpu", built
 * in, then every {@link OpsFactory} on the class path, in the order of its services file (the CUDA code contributes
 * "cuda-emulated" and "cuda"), and "auto": the preferred device provider ("cuda") where it can run, else cpu; never
 * the emulation, which is for tests.
 */
public final class OpsProviders {
    /** The name that picks the best provider that can run here. */
    public static final String AUTO = "auto";
    /** The provider "auto" prefers when it can run. */
    private static final String AUTO_PREFERENCE = "cuda";

    private OpsProviders() {}

    /**
     * Names of the providers available here: "cpu" always; each registered factory's where it can run ("cuda" where a
     * device, a driver recent enough for the CUDA 13 runtime, cuBLAS and libsculpt_cuda.so are usable;
     * "cuda-emulated" where its library, built where CMake and g++ exist, loads).
     */
    public static List<String> present() {
        List<String> names = new ArrayList<>(List.of("cpu"));
        for (OpsFactory f : factories()) if (f.unavailableReason() == null) names.add(f.name());
        return List.copyOf(names);
    }

    /** Why the registered provider {@code name} cannot run here; null when it can, or when no factory has that name. */
    public static String unavailableReason(String name) {
        for (OpsFactory f : factories()) if (f.name().equals(name)) return f.unavailableReason();
        return null;
    }

    /**
     * A new provider; the caller closes it. {@code auto} gives cuda where it can run, else cpu. A provider that cannot
     * run here is a SculptException saying what is missing (no driver, no device, no library).
     */
    public static Ops create(String name) {
        if (name == null) throw new SculptException("no ops provider named (expected cpu, " + AUTO + " or one of " + registered() + ")");
        if ("cpu".equals(name)) return new CpuOps();
        List<OpsFactory> factories = factories();
        if (AUTO.equals(name)) {
            for (OpsFactory f : factories) {
                if (f.name().equals(AUTO_PREFERENCE) && f.unavailableReason() == null) return f.create();
            }
            return new CpuOps();
        }
        for (OpsFactory f : factories) {
            if (!f.name().equals(name)) continue;
            String why = f.unavailableReason();
            if (why != null) throw new SculptException("ops provider '" + name + "' is unavailable here: " + why);
            return f.create();
        }
        throw new SculptException("unknown ops provider '" + name + "' (expected cpu, " + AUTO + " or one of " + registered()
                + "; present here: " + present() + ")");
    }

    private static List<String> registered() {
        List<String> names = new ArrayList<>();
        for (OpsFactory f : factories()) names.add(f.name());
        return names;
    }

    /** The registered factories, freshly loaded (no cache: nothing global; each factory caches its own probe). */
    private static List<OpsFactory> factories() {
        List<OpsFactory> out = new ArrayList<>();
        for (OpsFactory f : ServiceLoader.load(OpsFactory.class, OpsProviders.class.getClassLoader())) out.add(f);
        return out;
    }
}
