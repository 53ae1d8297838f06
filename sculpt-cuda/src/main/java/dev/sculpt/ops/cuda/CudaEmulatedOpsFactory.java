package dev.sculpt.ops.cuda;

import dev.sculpt.ops.Ops;
import dev.sculpt.ops.OpsFactory;

/** Registers the cuda-emulated provider with {@link dev.sculpt.ops.OpsProviders} (listed in META-INF/services). */
public final class CudaEmulatedOpsFactory implements OpsFactory {
    @Override public String name() { return CudaEmulatedOps.NAME; }

    @Override public String unavailableReason() { return CudaEmulatedLibrary.unavailableReason(); }

    @Override public Ops create() { return new CudaEmulatedOps(); }
}
