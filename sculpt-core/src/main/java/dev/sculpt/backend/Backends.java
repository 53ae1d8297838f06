package dev.sculpt.backend;

import dev.sculpt.SculptException;
import dev.sculpt.backend.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend registry, the project's only global state. The CPU backend always exists. The CUDA backend is
 * probed once, lazily, from this class (which is not a JavaCPP {@code @Platform} class, so a failed native load
 * cannot poison it) and the answer, with the reason when there is none, is cached for the JVM's life.
 */
public final class Backends {
    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);
    private static final String CUDA_CLASS = "dev.sculpt.backend.cuda.CudaBackend";

    private Backends() {}

    private static final class CpuHolder {
        static final CpuBackend CPU = new CpuBackend();
    }

    private static final class CudaHolder {
        static final Backend CUDA;
        static final String REASON;

        static {
            Backend b = null;
            String reason = null;
            if (Boolean.getBoolean("sculpt.cuda.disable") || "0".equals(System.getenv("SCULPT_CUDA"))) {
                reason = "disabled by sculpt.cuda.disable / SCULPT_CUDA=0";
            } else {
                try {
                    Class<?> c = Class.forName(CUDA_CLASS);
                    b = (Backend) c.getMethod("create").invoke(null);
                } catch (ClassNotFoundException e) {
                    reason = "this build has no CUDA backend class";
                } catch (java.lang.reflect.InvocationTargetException e) {
                    Throwable t = e.getCause();
                    reason = t.getClass().getSimpleName() + ": " + t.getMessage();
                } catch (Throwable t) {
                    reason = t.getClass().getSimpleName() + ": " + t.getMessage();
                }
            }
            if (b == null) LOG.debug("CUDA backend unavailable: {}", reason);
            CUDA = b;
            REASON = reason;
        }
    }

    public static Backend cpu() {
        return CpuHolder.CPU;
    }

    /** The CUDA backend where a device and the native library are present. */
    public static Optional<Backend> cuda() {
        return Optional.ofNullable(CudaHolder.CUDA);
    }

    /** Why there is no CUDA backend (null when there is one). */
    public static String cudaUnavailableReason() {
        return CudaHolder.CUDA == null ? CudaHolder.REASON : null;
    }

    /** Every backend present on this machine, CPU first. */
    public static List<Backend> available() {
        List<Backend> l = new ArrayList<>();
        l.add(cpu());
        cuda().ifPresent(l::add);
        return l;
    }

    /** "cpu", "cuda" or "auto" (CUDA where present, else CPU). */
    public static Backend get(String name) {
        switch (name.toLowerCase()) {
            case "cpu":
                return cpu();
            case "cuda":
            case "gpu":
                return cuda().orElseThrow(() -> new SculptException(
                        "--device cuda: no CUDA backend on this machine (" + cudaUnavailableReason() + ")"));
            case "auto":
                return cuda().orElse(cpu());
            default:
                throw new SculptException("unknown device '" + name + "' (expected cpu, cuda or auto)");
        }
    }
}
