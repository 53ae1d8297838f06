package dev.sculpt.ops;

import dev.sculpt.SculptException;
import dev.sculpt.ops.cpu.CpuOps;
import java.util.List;

/** The providers that can run on this machine, by the name a {@code --device} flag selects them with. */
public final class OpsProviders {
    private OpsProviders() {}

    /** Names of the providers available here ("cpu" always). */
    public static List<String> present() {
        return List.of("cpu");
    }

    /** A new provider; the caller closes it. */
    public static Ops create(String name) {
        if ("cpu".equals(name)) return new CpuOps();
        throw new SculptException("unknown or unavailable ops provider '" + name + "' (available: " + present() + ")");
    }
}
