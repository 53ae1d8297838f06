package dev.sculpt.ops;

/**
 * A kind of ops provider contributed from outside sculpt-core (the CUDA providers live in sculpt-cuda), found by
 * {@link OpsProviders} through {@link java.util.ServiceLoader}: the implementing class is listed in
 * {@code META-INF/services/dev.sculpt.ops.OpsFactory} and has a public no-argument constructor. Constructing a
 * factory loads nothing native; {@link #unavailableReason()} probes.
 */
public interface OpsFactory {
    /** The name a {@code --device} flag selects the provider with, e.g. "cuda-emulated". */
    String name();

    /** Null when the provider can run here, else why not (the implementation probes once and caches). */
    String unavailableReason();

    /** A new provider, asked for only when {@link #unavailableReason()} is null; the caller closes it. */
    Ops create();
}
