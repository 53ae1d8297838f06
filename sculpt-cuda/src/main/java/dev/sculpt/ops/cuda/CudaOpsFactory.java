package dev.sculpt.ops.cuda;

import dev.sculpt.backend.cuda.CudaProbe;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.OpsFactory;

/**
 * Registers the {@code cuda} provider with {@link dev.sculpt.ops.OpsProviders} (listed in META-INF/services). Usable
 * where {@link CudaProbe} finds the driver, a device and the libraries; constructing the factory loads nothing.
 */
public final class CudaOpsFactory implements OpsFactory {
    @Override public String name() { return CudaOps.CUDA; }

    @Override public String unavailableReason() { return CudaProbe.unavailableReason(); }

    @Override public Ops create() { return CudaOps.gpu(); }
}
