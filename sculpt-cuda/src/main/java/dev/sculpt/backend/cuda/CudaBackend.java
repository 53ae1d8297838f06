package dev.sculpt.backend.cuda;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backend;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.linalg.SvdMethod;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.linalg.SvdResult;
import dev.sculpt.tensor.MatrixBatch;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CUDA backend: hand-written kernels (libsculpt_cuda.so through {@link CudaKernels}) for the sketch, the
 * CholeskyQR2 steps, the small eigen solver and the layout helpers; cuBLAS and cuSOLVER (org.bytedeco cuda
 * preset) for the large products, Householder fallbacks and the exact SVD.
 *
 * <p>Ops accept host or device batches; results live where the input lives (host inputs are copied to the
 * device and the results back). One device (0), the default stream, one op at a time per backend.
 * Obtain it through {@link dev.sculpt.backend.Backends#cuda()}, which calls {@link #create()} once.
 */
public final class CudaBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(CudaBackend.class);

    private final DeviceOps ops;
    private final String description;

    private CudaBackend(CudaLibraries libs, String description) {
        this.ops = new NativeDeviceOps(libs);
        this.description = description;
    }

    /**
     * Through {@link CudaProbe} (the preset's cudart, then the kernel library, the driver and device checks, then
     * cuBLAS/cuSOLVER, so that a machine without CUDA never touches the preset's other classes), then the library
     * handles. Throws a SculptException saying what is missing.
     */
    public static Backend create() {
        if (!CudaProbe.usable()) throw new SculptException(CudaProbe.unavailableReason());
        String description = CudaProbe.description();
        CudaLibraries libs;
        try {
            libs = CudaLibraries.create();
        } catch (Throwable t) {
            throw new SculptException("cuBLAS/cuSOLVER handles could not be created on " + description + ": " + t);
        }
        LOG.info("CUDA backend: {}", description);
        return new CudaBackend(libs, description);
    }

    @Override public String name() { return "cuda"; }

    @Override public boolean computesOnHost() { return false; }

    @Override public String describe() { return description; }

    @Override
    public synchronized MatrixBatch allocate(int count, int rows, int cols) {
        return Cuda.allocate(count, rows, cols);
    }

    @Override
    public synchronized MatrixBatch upload(MatrixBatch batch) {
        if (batch == null) throw new SculptException("upload: the batch is null");
        if (batch.isHost()) return Cuda.toDevice(batch);
        MatrixBatch d = Cuda.allocate(batch.count(), batch.rows(), batch.cols());
        try {
            Cuda.copy(Cuda.base(d), Cuda.base(batch), Cuda.bytes(batch), CudaKernels.D2D, "device copy of " + batch);
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
        return d.withNames(batch.names());
    }

    @Override
    public synchronized MatrixBatch download(MatrixBatch batch) {
        if (batch == null) throw new SculptException("download: the batch is null");
        MatrixBatch h = MatrixBatch.allocateHost(batch.count(), batch.rows(), batch.cols());
        if (batch.isHost()) {
            h.buffer().put(0, batch.buffer(), 0, (int) batch.elementCount());
        } else {
            try {
                Cuda.toHost(batch, h);
            } catch (RuntimeException e) {
                h.close();
                throw e;
            }
        }
        return h.withNames(batch.names());
    }

    @Override
    public synchronized void gaussian(MatrixBatch out, long seed) {
        if (out == null) throw new SculptException("gaussian: the output batch is null");
        if (out.elementCount() == 0) return;
        if (!out.isHost()) {
            Cuda.check(CudaKernels.sculpt_philox_fill(Cuda.base(out), out.count(), out.rows(), out.cols(), seed, Cuda.STREAM), "Philox sketch");
            Cuda.check(CudaKernels.sculpt_cuda_synchronize(), "Philox sketch");
            return;
        }
        try (MatrixBatch d = Cuda.allocate(out.count(), out.rows(), out.cols())) {
            Cuda.check(CudaKernels.sculpt_philox_fill(Cuda.base(d), d.count(), d.rows(), d.cols(), seed, Cuda.STREAM), "Philox sketch");
            Cuda.toHost(d, out);
        }
    }

    @Override
    public SvdResult randomizedSvd(MatrixBatch a, int k, SvdOptions options) {
        if (options == null) throw new SculptException("randomizedSvd: options are null");
        return svd(a, k, options, false);
    }

    @Override
    public SvdResult exactSvd(MatrixBatch a, int k) {
        return svd(a, k, null, true);
    }

    private synchronized SvdResult svd(MatrixBatch a, int k, SvdOptions options, boolean exact) {
        String op = exact ? "exactSvd" : "randomizedSvd";
        BatchChecks.notEmpty(a, op);
        BatchChecks.rank(a, k, op);
        BatchChecks.finite(a, "input", op);
        int count = a.count(), m = a.rows(), n = a.cols();
        if (!exact && CudaRandomizedSvd.sketchWidth(m, n, k, options.oversample()) > CudaRandomizedSvd.SKETCH_MAX) {
            LOG.info("sketch of {} columns exceeds the GPU kernels' {}: exact SVD instead",
                    CudaRandomizedSvd.sketchWidth(m, n, k, options.oversample()), CudaRandomizedSvd.SKETCH_MAX);
            exact = true;
        }
        List<MatrixBatch> owned = new ArrayList<>();
        try {
            MatrixBatch input = a.isHost() ? track(owned, Cuda.toDevice(a)) : a;
            MatrixBatch u = track(owned, Cuda.allocate(count, m, k));
            MatrixBatch s = track(owned, Cuda.allocate(count, 1, k));
            MatrixBatch v = track(owned, Cuda.allocate(count, n, k));
            if (exact) {
                CudaExactSvd.run(ops, Cuda.base(input), count, m, n, k, Cuda.base(u), Cuda.base(s), Cuda.base(v));
            } else {
                CudaRandomizedSvd.run(ops, Cuda.base(input), count, m, n, k, options.oversample(), options.powerIters(),
                        options.seed(), Cuda.base(u), Cuda.base(s), Cuda.base(v));
            }
            SvdMethod method = exact ? SvdMethod.EXACT : SvdMethod.RANDOMIZED;
            String[] names = a.names();
            if (a.isHost()) {
                SvdResult r = new SvdResult(download(u), download(s), download(v), method);
                closeAll(owned);
                return named(r, names);
            }
            owned.remove(u);
            owned.remove(s);
            owned.remove(v);
            closeAll(owned);
            return named(new SvdResult(u, s, v, method), names);
        } catch (RuntimeException | Error e) {
            closeAll(owned);
            throw e;
        }
    }

    @Override
    public synchronized void project(MatrixBatch d, MatrixBatch u, MatrixBatch v, ProjectionMode mode) {
        String op = "project";
        if (mode == null) throw new SculptException("project: the projection mode is null");
        BatchChecks.notEmpty(d, op);
        boolean useU = mode != ProjectionMode.RIGHT, useV = mode != ProjectionMode.LEFT;
        if (useU || u != null) BatchChecks.basis(u, "u", d, d.rows(), op);
        if (useV || v != null) BatchChecks.basis(v, "v", d, d.cols(), op);
        if (u != null && v != null && u.cols() != v.cols()) {
            throw new SculptException("project: bases u (" + u.shapeString() + ") and v (" + v.shapeString()
                    + ") of the update " + d.name(0) + " have different ranks");
        }
        BatchChecks.finite(d, "update", op);
        int k = useU ? u.cols() : v.cols();
        if (k == 0) return;   // nothing protected: D stays as it is, as on the CPU backend
        if (useU) BatchChecks.finite(u, "basis u", op);
        if (useV) BatchChecks.finite(v, "basis v", op);
        List<MatrixBatch> owned = new ArrayList<>();
        try {
            MatrixBatch dd = d.isHost() ? track(owned, Cuda.toDevice(d)) : d;
            MatrixBatch uu = !useU ? null : u.isHost() ? track(owned, Cuda.toDevice(u)) : u;
            MatrixBatch vv = !useV ? null : v.isHost() ? track(owned, Cuda.toDevice(v)) : v;
            CudaProjection.run(ops, mode, Cuda.base(dd), uu == null ? 0 : Cuda.base(uu), vv == null ? 0 : Cuda.base(vv),
                    d.count(), d.rows(), d.cols(), k);
            if (d.isHost()) Cuda.toHost(dd, d);
        } finally {
            closeAll(owned);
        }
    }

    private static SvdResult named(SvdResult r, String[] names) {
        if (names != null) {
            r.u().withNames(names);
            r.s().withNames(names);
            r.v().withNames(names);
        }
        return r;
    }

    private static MatrixBatch track(List<MatrixBatch> owned, MatrixBatch b) {
        owned.add(b);
        return b;
    }

    private static void closeAll(List<MatrixBatch> owned) {
        for (MatrixBatch b : owned) b.close();
        owned.clear();
    }
}
