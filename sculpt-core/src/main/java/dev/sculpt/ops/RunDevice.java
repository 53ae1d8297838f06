package dev.sculpt.ops;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backend;
import dev.sculpt.backend.Backends;
import java.util.List;

/**
 * What a {@code --device} flag selects for a whole run: the {@link Ops} provider that training, evaluation and
 * generation run on, and the {@link Backend} that decomposes (SVD) for the OSFT guard.
 * <ul>
 *   <li>{@code cpu}: the cpu provider and the cpu backend;</li>
 *   <li>{@code cuda}: the cuda provider and the cuda backend; without a GPU, driver or library this fails at once,
 *       saying what is missing, before any work;</li>
 *   <li>{@code cuda-emulated}: the host-emulated CUDA provider (for tests and CI) with the cpu backend (there is no
 *       emulated SVD pipeline);</li>
 *   <li>{@code auto}: cuda where both the cuda provider and the cuda backend are present, else cpu (never the
 *       emulation).</li>
 * </ul>
 * Closing closes the provider; close it after every model that runs on it.
 */
public final class RunDevice implements AutoCloseable {
    /** The names a {@code --device} flag accepts. */
    public static final List<String> NAMES = List.of("cpu", "cuda", "cuda-emulated", "auto");
    private static final String EMULATED = "cuda-emulated";

    private final String name;
    private final Ops ops;
    private final Backend backend;

    private RunDevice(String name, Ops ops, Backend backend) {
        this.name = name;
        this.ops = ops;
        this.backend = backend;
    }

    /**
     * Opens what {@code flag} (the value of the option {@code option}, for messages) selects; an unknown name or a
     * device that is not usable here is a SculptException naming the option and what is missing.
     */
    public static RunDevice open(String option, String flag) {
        if (flag == null || !NAMES.contains(flag)) {
            throw new SculptException(option + ": unknown device '" + flag + "' (expected one of " + String.join(", ", NAMES) + ")");
        }
        String resolved = flag.equals("auto") ? auto() : flag;
        try {
            switch (resolved) {
                case "cuda": {
                    // the backend first: its probe says which of GPU, driver and library is missing
                    Backend b = Backends.cuda().orElseThrow(() -> new SculptException(
                            "no usable CUDA GPU here (" + Backends.cudaUnavailableReason() + ")"));
                    return new RunDevice(resolved, OpsProviders.create("cuda"), b);
                }
                case "cpu":
                    return new RunDevice(resolved, OpsProviders.create("cpu"), Backends.cpu());
                default:
                    return new RunDevice(resolved, OpsProviders.create(resolved), Backends.cpu());
            }
        } catch (SculptException e) {
            throw new SculptException(option + " " + flag + ": " + e.getMessage(), e);
        }
    }

    private static String auto() {
        return OpsProviders.present().contains("cuda") && Backends.cuda().isPresent() ? "cuda" : "cpu";
    }

    /** The provider's name after resolving auto: cpu, cuda or cuda-emulated. */
    public String name() { return name; }

    /** Whether the provider is the host emulation of CUDA (tests and CI), not a real device. */
    public boolean isEmulation() { return name.equals(EMULATED); }

    /** The provider of the run (owned by this object). */
    public Ops ops() { return ops; }

    /** The SVD backend of the run. */
    public Backend backend() { return backend; }

    /** "provider cpu (…), svd on cpu". */
    public String describe() {
        return "ops provider " + ops.describe() + ", decompositions on " + backend.name();
    }

    @Override
    public void close() {
        ops.close();
    }
}
