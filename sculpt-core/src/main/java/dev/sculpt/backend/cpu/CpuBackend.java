package dev.sculpt.backend.cpu;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backend;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.linalg.SvdMethod;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.linalg.SvdResult;
import dev.sculpt.tensor.MatrixBatch;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CPU backend: OpenBLAS (org.bytedeco preset) for every BLAS-3 and LAPACK step, Java for the sketch and the
 * checks. The matrices of a batch run across the cores without oversubscribing OpenBLAS ({@link BatchRunner}).
 *
 * <p>The sketch of {@link #randomizedSvd} for matrix b of an m x n batch is the max(m,n) x l matrix whose
 * element (i, j) is {@code Philox.gaussian(seed, b, i * l + j)}, l = min(k + p, min(m, n)), i.e. matrix b of
 * {@code gaussian(batch of max(m,n) x l, seed)}; see {@link RandomizedSvdKernel} for the algorithm.
 *
 * <p>OpenBLAS's thread count is process-wide, so the operations of this backend take one lock: two callers
 * run one after the other, each with all cores.
 */
public final class CpuBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(CpuBackend.class);
    private static final Object LOCK = new Object();

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public boolean computesOnHost() {
        return true;
    }

    @Override
    public String describe() {
        return "CPU, " + Runtime.getRuntime().availableProcessors() + " cores, OpenBLAS " + BlasThreads.get() + " threads";
    }

    @Override
    public MatrixBatch allocate(int count, int rows, int cols) {
        return MatrixBatch.allocateHost(count, rows, cols);
    }

    @Override
    public MatrixBatch upload(MatrixBatch host) {
        return download(host);
    }

    @Override
    public MatrixBatch download(MatrixBatch batch) {
        if (!batch.isHost()) {
            throw new SculptException("batch " + InputChecks.describe(batch) + " lives on " + batch.device()
                    + "; download it with the backend that owns it");
        }
        MatrixBatch out = MatrixBatch.allocateHost(batch.count(), batch.rows(), batch.cols());
        out.buffer().put(0, batch.buffer(), 0, (int) batch.elementCount());
        return out.withNames(batch.names());
    }

    @Override
    public void gaussian(MatrixBatch out, long seed) {
        if (out == null) throw new SculptException("gaussian: output batch is null");
        if (!out.isHost()) {
            throw new SculptException("gaussian: batch " + InputChecks.describe(out) + " lives on " + out.device()
                    + "; the CPU backend fills host batches");
        }
        long size = out.matrixSize();
        int cols = Math.max(1, out.cols());
        // parallel over row blocks of every matrix; PhiloxBulk is exact from any starting element
        int rowsPerTask = Math.max(1, (int) Math.min(out.rows(), 65_536L / cols));
        int blocksPerMatrix = (out.rows() + rowsPerTask - 1) / rowsPerTask;
        IntStream.range(0, out.count() * blocksPerMatrix).parallel().forEach(t -> {
            int b = t / blocksPerMatrix;
            long r0 = (long) (t % blocksPerMatrix) * rowsPerTask;
            long e0 = r0 * out.cols();
            long len = Math.min((long) rowsPerTask * out.cols(), size - e0);
            float[] tmp = new float[(int) len];
            dev.sculpt.linalg.PhiloxBulk.fill(seed, b, e0, tmp, 0, (int) len);
            out.buffer().put((int) (out.offset(b) + e0), tmp, 0, (int) len);
        });
    }

    @Override
    public SvdResult randomizedSvd(MatrixBatch a, int k, SvdOptions options) {
        checkSvdInput(a, k);
        if (options == null) throw new SculptException("randomizedSvd: options are null");
        int m = a.rows();
        int n = a.cols();
        int l = Math.min(k + options.oversample(), Math.min(m, n));
        int q = options.powerIters();
        long seed = options.seed();
        synchronized (LOCK) {
            SvdResult res = allocateResult(a, k, SvdMethod.RANDOMIZED);
            int[] fallbacks = new int[3];
            long[] phases = new long[4];
            try {
                BatchRunner.run(a.count(), a.matrixSize(), parallelInside -> {
                    RandomizedSvdKernel kernel = new RandomizedSvdKernel(m, n, k, l, q, parallelInside ? BlasThreads.get() : 1);
                    return new BatchRunner.Kernel() {
                        @Override
                        public void run(int b) {
                            kernel.run(a, b, seed, res.u(), res.s(), res.v());
                        }

                        @Override
                        public void close() {
                            synchronized (fallbacks) {
                                fallbacks[0] += kernel.householderFallbacks;
                                fallbacks[1] += kernel.gesddFallbacks;
                                fallbacks[2] += kernel.onePassBases;
                                for (int i = 0; i < 4; i++) phases[i] += kernel.phaseNanos[i];
                            }
                            kernel.close();
                        }
                    };
                });
            } catch (RuntimeException e) {
                res.close();
                throw e;
            }
            if (LOG.isDebugEnabled()) {
                LOG.debug("randomized SVD of {} ({} x {}, k={}, l={}): {} Householder QR fallbacks, {} one-pass"
                        + " intermediate bases, {} sgesdd small SVDs; ms in sketch {}, products {}, QR {}, small SVD {}",
                        InputChecks.describe(a), m, n, k, l, fallbacks[0], fallbacks[2], fallbacks[1],
                        phases[0] / 1e6, phases[1] / 1e6, phases[2] / 1e6, phases[3] / 1e6);
            }
            return res;
        }
    }

    @Override
    public SvdResult exactSvd(MatrixBatch a, int k) {
        checkSvdInput(a, k);
        int m = a.rows();
        int n = a.cols();
        synchronized (LOCK) {
            SvdResult res = allocateResult(a, k, SvdMethod.EXACT);
            try {
                BatchRunner.run(a.count(), a.matrixSize(), parallelInside -> {
                    ExactSvdKernel kernel = new ExactSvdKernel(m, n, k);
                    return new BatchRunner.Kernel() {
                        @Override
                        public void run(int b) {
                            kernel.run(a, b, res.u(), res.s(), res.v());
                        }

                        @Override
                        public void close() {
                            kernel.close();
                        }
                    };
                });
            } catch (RuntimeException e) {
                res.close();
                throw e;
            }
            return res;
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code v} may be null for {@link ProjectionMode#LEFT} and {@code u} for {@link ProjectionMode#RIGHT}.
     * Bases with k = 0 columns leave D unchanged.
     */
    @Override
    public void project(MatrixBatch d, MatrixBatch u, MatrixBatch v, ProjectionMode mode) {
        if (mode == null) throw new SculptException("project: projection mode is null");
        InputChecks.hostBatch(d, "update");
        boolean needU = mode != ProjectionMode.RIGHT;
        boolean needV = mode != ProjectionMode.LEFT;
        int k = -1;
        if (needU) {
            InputChecks.hostBatch(u, "basis U");
            k = checkBasis(d, u, d.rows(), "U", "rows");
        }
        if (needV) {
            InputChecks.hostBatch(v, "basis V");
            int kv = checkBasis(d, v, d.cols(), "V", "columns");
            if (k >= 0 && kv != k) {
                throw new SculptException("projection bases of " + InputChecks.describe(d) + " disagree on k: U has "
                        + k + " columns, V has " + kv);
            }
            k = kv;
        }
        InputChecks.finite(d, "update");
        if (needU) InputChecks.finite(u, "basis U");
        if (needV) InputChecks.finite(v, "basis V");
        int m = d.rows();
        int n = d.cols();
        int kk = k;
        MatrixBatch uu = needU ? u : null;
        MatrixBatch vv = needV ? v : null;
        synchronized (LOCK) {
            BatchRunner.run(d.count(), d.matrixSize(), parallelInside -> {
                ProjectionKernel kernel = new ProjectionKernel(m, n, kk);
                return new BatchRunner.Kernel() {
                    @Override
                    public void run(int b) {
                        kernel.run(d, b, uu, vv, mode);
                    }

                    @Override
                    public void close() {
                        kernel.close();
                    }
                };
            });
        }
    }

    private static int checkBasis(MatrixBatch d, MatrixBatch basis, int dim, String which, String side) {
        if (basis.count() != d.count() || basis.rows() != dim) {
            throw new SculptException("basis " + which + " (" + basis.shapeString() + ") does not fit the update "
                    + InputChecks.describe(d) + " (" + d.shapeString() + "): expected " + d.count() + " x " + dim
                    + " x k, one row per " + side.substring(0, side.length() - 1) + " of the update");
        }
        if (basis.cols() > dim) {
            throw new SculptException("basis " + which + " of " + InputChecks.describe(d) + " has " + basis.cols()
                    + " columns, more than the " + dim + " " + side + " of the update");
        }
        return basis.cols();
    }

    private static void checkSvdInput(MatrixBatch a, int k) {
        InputChecks.hostBatch(a, "input");
        InputChecks.rank(a, k);
        InputChecks.finite(a, "input");
    }

    private static SvdResult allocateResult(MatrixBatch a, int k, SvdMethod method) {
        MatrixBatch u = MatrixBatch.allocateHost(a.count(), a.rows(), k);
        MatrixBatch s = MatrixBatch.allocateHost(a.count(), 1, k);
        MatrixBatch v = MatrixBatch.allocateHost(a.count(), a.cols(), k);
        String[] names = a.names();
        if (names != null) {
            u.withNames(names);
            s.withNames(names);
            v.withNames(names);
        }
        return new SvdResult(u, s, v, method);
    }
}
