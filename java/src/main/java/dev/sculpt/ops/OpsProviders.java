package dev.sculpt.ops;

import dev.sculpt.SculptException;
import dev.sculpt.ops.cpu.CpuOps;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The providers that can run on this machine, by the name a {@code --device} flag selects them with: "cpu", built
 * in, then every {@link OpsFactory} on the class path (sculpt-cuda contributes cuda-emulated), in class-path order.
 */
public final class OpsProviders {
    private OpsProviders() {}

    /**
     * Names of the providers available here: "cpu" always; each registered factory's where it can run (for
     * cuda-emulated: sculpt-cuda is on the class path and its library, built where CMake and g++ exist, loads).
     */
    public static List<String> present() {
        List<String> names = new ArrayList<>(List.of("cpu"));
        for (OpsFactory f : factories()) if (f.unavailableReason() == null) names.add(f.name());
        return List.copyOf(names);
    }

    /** A new provider; the caller closes it. */
    public static Ops create(String name) {
        if ("cpu".equals(name)) return new CpuOps();
        for (OpsFactory f : factories()) {
            if (!f.name().equals(name)) continue;
            String why = f.unavailableReason();
            if (why != null) throw new SculptException("ops provider '" + name + "' is unavailable here: " + why);
            return f.create();
        }
        throw new SculptException("unknown or unavailable ops provider '" + name + "' (available: " + present()
                + "; the CUDA providers come with sculpt-cuda on the class path)");
    }

    /** The registered factories, freshly loaded (no cache: nothing global). */
    private static List<OpsFactory> factories() {
        List<OpsFactory> out = new ArrayList<>();
        for (OpsFactory f : ServiceLoader.load(OpsFactory.class, OpsProviders.class.getClassLoader())) out.add(f);
        return out;
    }

}
