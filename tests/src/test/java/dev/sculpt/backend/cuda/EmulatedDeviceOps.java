package dev.sculpt.backend.cuda;

import dev.sculpt.linalg.Philox;
import dev.sculpt.tensor.MatrixBatch;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A Java emulation of the {@link DeviceOps} contract on a heap "device memory", written from the contract
 * (not from the CUDA sources): float64 Cholesky, cyclic Jacobi, Householder QR and one-sided Jacobi SVD as
 * independent references, and cuBLAS's column-major SGEMM semantics behind {@link RowMajorGemm}. It lets the
 * CUDA algorithms' orchestration (layouts, leading dimensions, strides, operand orders, fallbacks) run and be
 * checked on machines without a GPU.
 */
final class EmulatedDeviceOps implements DeviceOps {
    private final ByteBuffer mem;
    private long next = 256;
    int householderCalls;
    int symmetricEigenCalls;
    int blockedCholeskyCalls;
    long requestedBytes;    // the bytes every malloc asked for, before the 256-byte alignment

    EmulatedDeviceOps(int bytes) {
        mem = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    float f(long a) { return mem.getFloat((int) a); }
    void f(long a, float v) { mem.putFloat((int) a, v); }
    double d(long a) { return mem.getDouble((int) a); }
    void d(long a, double v) { mem.putDouble((int) a, v); }
    private static long fi(long base, long i) { return base + 4 * i; }
    private static long di(long base, long i) { return base + 8 * i; }

    @Override
    public long malloc(long bytes) {
        requestedBytes += bytes;
        long a = next;
        next = (next + bytes + 255) & ~255L;
        if (next > mem.capacity()) throw new IllegalStateException("emulated device memory exhausted");
        for (long i = a; i < a + bytes; i++) mem.put((int) i, (byte) 0x7f);   // garbage, like cudaMalloc
        return a;
    }

    @Override public void free(long address) {}

    @Override
    public void copy(long dst, long src, long bytes, int kind) {
        for (long i = 0; i < bytes; i++) mem.put((int) (dst + i), mem.get((int) (src + i)));
    }

    @Override
    public float[] readFloats(long address, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = f(fi(address, i));
        return out;
    }

    @Override
    public void writeFloats(long address, float[] values) {
        for (int i = 0; i < values.length; i++) f(fi(address, i), values[i]);
    }

    @Override
    public int[] readInts(long address, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = mem.getInt((int) (address + 4L * i));
        return out;
    }

    @Override public void synchronize() {}

    long upload(MatrixBatch h) {
        long a = malloc(h.elementCount() * 4);
        for (long i = 0; i < h.elementCount(); i++) f(fi(a, i), h.buffer().get((int) i));
        return a;
    }

    MatrixBatch download(long a, int count, int rows, int cols) {
        MatrixBatch h = MatrixBatch.allocateHost(count, rows, cols);
        for (long i = 0; i < h.elementCount(); i++) h.buffer().put((int) i, f(fi(a, i)));
        return h;
    }

    @Override
    public void philoxFill(long out, int count, int rows, int cols, long seed) {
        long size = (long) rows * cols;
        for (int b = 0; b < count; b++) for (long e = 0; e < size; e++) f(fi(out, b * size + e), Philox.gaussian(seed, b, e));
    }

    @Override
    public void gram(long y, int count, int rows, int cols, long g) {
        for (int b = 0; b < count; b++) {
            long yb = fi(y, (long) b * rows * cols), gb = di(g, (long) b * cols * cols);
            for (int i = 0; i < cols; i++) for (int j = 0; j < cols; j++) {
                double s = 0;
                for (int r = 0; r < rows; r++) s += (double) f(fi(yb, (long) r * cols + i)) * f(fi(yb, (long) r * cols + j));
                d(di(gb, (long) i * cols + j), s);
            }
        }
    }

    /** Upper Cholesky R (R^T R = g[b], row-major n x n doubles at gb) in float64, or null where a pivot fails the test. */
    private double[][] cholesky(long gb, int n, double relTol) {
        double[][] a = new double[n][n];
        double max = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) a[i][j] = d(di(gb, (long) i * n + j));
        for (int i = 0; i < n; i++) max = Math.max(max, a[i][i]);
        if (!(max > 0) || !Double.isFinite(max)) return null;
        double[][] r = new double[n][n];
        for (int j = 0; j < n; j++) {   // R^T R = A, row by row
            double s = a[j][j];
            for (int t = 0; t < j; t++) s -= r[t][j] * r[t][j];
            if (!(s > relTol * max)) return null;
            r[j][j] = Math.sqrt(s);
            for (int c = j + 1; c < n; c++) {
                double x = a[j][c];
                for (int t = 0; t < j; t++) x -= r[t][j] * r[t][c];
                r[j][c] = x / r[j][j];
            }
        }
        return r;
    }

    private void writeSquare(long at, double[][] x) {
        int n = x.length;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) f(fi(at, (long) i * n + j), (float) x[i][j]);
    }

    private static double[][] identity(int n) {
        double[][] x = new double[n][n];
        for (int i = 0; i < n; i++) x[i][i] = 1;
        return x;
    }

    @Override
    public void choleskyInverse(long g, int count, int n, double relTol, long rinv, long fail) {
        for (int b = 0; b < count; b++) {
            double[][] r = cholesky(di(g, (long) b * n * n), n, relTol);
            double[][] x = identity(n);
            if (r != null) {
                for (int c = 0; c < n; c++) {
                    x[c][c] = 1 / r[c][c];
                    for (int i = c - 1; i >= 0; i--) {
                        double s = 0;
                        for (int t = i + 1; t <= c; t++) s += r[i][t] * x[t][c];
                        x[i][c] = -s / r[i][i];
                    }
                }
            }
            writeSquare(fi(rinv, (long) b * n * n), x);
            mem.putInt((int) (fail + 4L * b), r == null ? 1 : 0);
        }
    }

    /** Scratch the blocked Cholesky claims; filled with garbage on each call, so that nothing may depend on it. */
    @Override
    public long choleskyWorkDoubles(long g, int n) {
        return 2L * n + 7;
    }

    @Override
    public void choleskyFactor(long g, int n, double relTol, long work, long workDoubles, long r, long fail) {
        blockedCholeskyCalls++;
        if (workDoubles < choleskyWorkDoubles(g, n)) throw new IllegalArgumentException("Cholesky workspace too small");
        for (long i = 0; i < workDoubles; i++) d(di(work, i), Double.NaN);
        double[][] x = cholesky(g, n, relTol);
        writeSquare(r, x == null ? identity(n) : x);
        mem.putInt((int) fail, x == null ? 1 : 0);
    }

    @Override
    public void solveRightUpper(long y, int rows, int n, long r) {
        RowMajorTrsm.rightUpper(this::columnMajorTrsm, rows, n, r, y);
    }

    /**
     * cuBLAS trsm semantics: column-major, element (i, j) of X at X[i + j ld]; only A's named triangle is read, its
     * diagonal is not unit; B (m x n) becomes alpha op(A)^{-1} B (left, A m x m) or alpha B op(A)^{-1} (right, A n x n).
     * Solved by substitution in float64, then rounded.
     */
    private void columnMajorTrsm(boolean left, boolean lower, boolean transA, int m, int n, float alpha, long a, int lda,
                                 long b, int ldb) {
        int na = left ? m : n;
        double[][] t = new double[na][na];   // op(A), the unread triangle zero
        for (int i = 0; i < na; i++) for (int j = 0; j < na; j++) {
            if (lower ? i >= j : i <= j) {
                double v = f(fi(a, i + (long) j * lda));
                if (transA) t[j][i] = v; else t[i][j] = v;
            }
        }
        boolean opLower = lower != transA;
        double[][] x = new double[m][n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) x[i][j] = alpha * (double) f(fi(b, i + (long) j * ldb));
        if (left) {   // op(A) X = B, column by column
            for (int j = 0; j < n; j++) {
                for (int step = 0; step < m; step++) {
                    int i = opLower ? step : m - 1 - step;
                    double s = x[i][j];
                    for (int p = 0; p < m; p++) if (p != i && (opLower ? p < i : p > i)) s -= t[i][p] * x[p][j];
                    x[i][j] = s / t[i][i];
                }
            }
        } else {      // X op(A) = B, row by row: x_i op(A) = b_i
            for (int i = 0; i < m; i++) {
                for (int step = 0; step < n; step++) {
                    int j = opLower ? n - 1 - step : step;
                    double s = x[i][j];
                    for (int p = 0; p < n; p++) if (p != j && (opLower ? p > j : p < j)) s -= x[i][p] * t[p][j];
                    x[i][j] = s / t[j][j];
                }
            }
        }
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) f(fi(b, i + (long) j * ldb), (float) x[i][j]);
    }

    /** Cyclic Jacobi on a symmetric matrix: eigenvalues (diagonal of a on return) and eigenvectors (columns of v). */
    static double[][] jacobi(double[][] a) {
        int n = a.length;
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) v[i][i] = 1;
        for (int sweep = 0; sweep < 60; sweep++) {
            double off = 0, all = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) { all += a[i][j] * a[i][j]; if (i != j) off += a[i][j] * a[i][j]; }
            if (off <= 1e-30 * all) break;
            for (int p = 0; p < n; p++) for (int q = p + 1; q < n; q++) {
                if (a[p][q] == 0) continue;
                double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                double t = Math.signum(theta == 0 ? 1 : theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                double c = 1 / Math.sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < n; k++) { double x = a[k][p], y = a[k][q]; a[k][p] = c * x - s * y; a[k][q] = s * x + c * y; }
                for (int k = 0; k < n; k++) { double x = a[p][k], y = a[q][k]; a[p][k] = c * x - s * y; a[q][k] = s * x + c * y; }
                for (int k = 0; k < n; k++) { double x = v[k][p], y = v[k][q]; v[k][p] = c * x - s * y; v[k][q] = s * x + c * y; }
            }
        }
        return v;
    }

    private void writeTop(double[] val, double[][] vecCols, int n, int keep, long values, long roots, long vectors) {
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (x, y) -> Double.compare(val[y], val[x]));
        for (int r = 0; r < keep; r++) {
            int i = order[r];
            f(fi(values, r), (float) val[i]);
            if (roots != 0) f(fi(roots, r), (float) Math.sqrt(Math.max(val[i], 0)));
            for (int j = 0; j < n; j++) f(fi(vectors, (long) j * keep + r), (float) vecCols[j][i]);
        }
    }

    @Override
    public void symEigen(long a, int count, int n, int keep, int maxSweeps, long work, long values, long roots, long vectors) {
        for (int b = 0; b < count; b++) {
            double[][] m = new double[n][n];
            long ab = di(a, (long) b * n * n);
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) m[i][j] = d(di(ab, (long) i * n + j));
            double[][] v = jacobi(m);
            double[] val = new double[n];
            for (int i = 0; i < n; i++) val[i] = m[i][i];
            writeTop(val, v, n, keep, fi(values, (long) b * keep), roots == 0 ? 0 : fi(roots, (long) b * keep), fi(vectors, (long) b * n * keep));
        }
    }

    @Override
    public void eigenSelect(long w, long z, int count, int n, int keep, long values, long roots, long vectors) {
        for (int b = 0; b < count; b++) {
            double[] val = new double[n];
            double[][] v = new double[n][n];
            for (int i = 0; i < n; i++) {
                val[i] = d(di(w, (long) b * n + i));
                for (int j = 0; j < n; j++) v[j][i] = d(di(z, (long) b * n * n + (long) i * n + j));   // column-major
            }
            writeTop(val, v, n, keep, fi(values, (long) b * keep), roots == 0 ? 0 : fi(roots, (long) b * keep), fi(vectors, (long) b * n * keep));
        }
    }

    @Override
    public void symmetricEigen(long a, long w, int n) {
        symmetricEigenCalls++;
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) m[i][j] = d(di(a, (long) i * n + j));
        double[][] v = jacobi(m);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (x, y) -> Double.compare(m[x][x], m[y][y]));   // ascending, like syevd
        for (int r = 0; r < n; r++) {
            d(di(w, r), m[order[r]][order[r]]);
            for (int j = 0; j < n; j++) d(di(a, (long) r * n + j), v[j][order[r]]);
        }
    }

    @Override
    public void scaleColumnsInverse(long x, int count, int rows, int cols, long s, float tiny) {
        for (int b = 0; b < count; b++) for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) {
            long at = fi(x, ((long) b * rows + r) * cols + c);
            float sv = f(fi(s, (long) b * cols + c));
            f(at, sv > tiny ? f(at) / sv : 0f);
        }
    }

    @Override
    public void projectUpdate(long d, int count, int m, int n, long a1, long b1, int k1, long a2, long b2t, int k2) {
        for (int b = 0; b < count; b++) for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
            float acc = 0f;
            for (int a = 0; a < k1; a++) {
                acc += f(fi(a1, ((long) b * m + i) * k1 + a)) * f(fi(b1, ((long) b * k1 + a) * n + j));
            }
            for (int a = 0; a < k2; a++) {
                acc += f(fi(a2, ((long) b * m + i) * k2 + a)) * f(fi(b2t, ((long) b * n + j) * k2 + a));
            }
            long at = fi(d, ((long) b * m + i) * n + j);
            f(at, f(at) - acc);
        }
    }

    @Override
    public void transpose(long in, int count, int rows, int cols, long out) {
        for (int b = 0; b < count; b++) for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) {
            f(fi(out, (long) b * rows * cols + (long) c * rows + r), f(fi(in, (long) b * rows * cols + (long) r * cols + c)));
        }
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long strideA,
                     long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        RowMajorGemm.gemm(this::columnMajorGemm, transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch);
    }

    /** cuBLAS semantics: column-major, element (i, j) of X at X[i + j ld]; beta = 0 ignores C's old contents. */
    private void columnMajorGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long strideA,
                                 long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        for (int p = 0; p < batch; p++) {
            long ap = fi(a, p * strideA), bp = fi(b, p * strideB), cp = fi(c, p * strideC);
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                double s = 0;
                for (int t = 0; t < k; t++) {
                    float x = transA ? f(fi(ap, t + (long) i * lda)) : f(fi(ap, i + (long) t * lda));
                    float y = transB ? f(fi(bp, j + (long) t * ldb)) : f(fi(bp, t + (long) j * ldb));
                    s += (double) x * y;
                }
                long at = fi(cp, i + (long) j * ldc);
                f(at, (float) (alpha * s + (beta == 0f ? 0 : beta * f(at))));
            }
        }
    }

    @Override
    public void householderQ(long src, long dst, int rows, int cols) {
        householderCalls++;
        double[][] a = new double[rows][cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) a[i][j] = f(fi(src, (long) i * cols + j));
        double[][] q = new double[rows][rows];
        for (int i = 0; i < rows; i++) q[i][i] = 1;
        for (int j = 0; j < cols; j++) {    // reflect column j below the diagonal onto e_j; accumulate Q = H0 H1 ...
            double norm = 0;
            for (int i = j; i < rows; i++) norm += a[i][j] * a[i][j];
            norm = Math.sqrt(norm);
            if (norm == 0) continue;
            double alpha = a[j][j] > 0 ? -norm : norm;
            double[] v = new double[rows];
            for (int i = j; i < rows; i++) v[i] = a[i][j];
            v[j] -= alpha;
            double vv = 0;
            for (int i = j; i < rows; i++) vv += v[i] * v[i];
            if (vv == 0) continue;
            for (int c = 0; c < cols; c++) {
                double s = 0;
                for (int i = j; i < rows; i++) s += v[i] * a[i][c];
                for (int i = j; i < rows; i++) a[i][c] -= 2 * s / vv * v[i];
            }
            for (int r = 0; r < rows; r++) {
                double s = 0;
                for (int i = j; i < rows; i++) s += q[r][i] * v[i];
                for (int i = j; i < rows; i++) q[r][i] -= 2 * s / vv * v[i];
            }
        }
        for (int j = 0; j < cols; j++) {
            double sign = a[j][j] < 0 ? -1 : 1;
            for (int i = 0; i < rows; i++) f(fi(dst, (long) i * cols + j), (float) (sign * q[i][j]));
        }
    }

    @Override
    public void svd(long a, int rows, int cols, long s, long u, long v) {
        // one-sided Jacobi on the columns of the column-major rows x cols matrix (rows >= cols)
        double[][] x = new double[cols][rows];
        for (int j = 0; j < cols; j++) for (int i = 0; i < rows; i++) x[j][i] = f(fi(a, i + (long) j * rows));
        double[][] vv = new double[cols][cols];
        for (int i = 0; i < cols; i++) vv[i][i] = 1;
        for (int sweep = 0; sweep < 60; sweep++) {
            double worst = 0;
            for (int p = 0; p < cols; p++) for (int q = p + 1; q < cols; q++) {
                double al = 0, be = 0, ga = 0;
                for (int i = 0; i < rows; i++) { al += x[p][i] * x[p][i]; be += x[q][i] * x[q][i]; ga += x[p][i] * x[q][i]; }
                if (ga == 0) continue;
                worst = Math.max(worst, Math.abs(ga) / Math.sqrt(al * be));
                double zeta = (be - al) / (2 * ga);
                double t = Math.signum(zeta == 0 ? 1 : zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                double c = 1 / Math.sqrt(1 + t * t), sn = c * t;
                for (int i = 0; i < rows; i++) { double y = x[p][i], z = x[q][i]; x[p][i] = c * y - sn * z; x[q][i] = sn * y + c * z; }
                for (int i = 0; i < cols; i++) { double y = vv[i][p], z = vv[i][q]; vv[i][p] = c * y - sn * z; vv[i][q] = sn * y + c * z; }
            }
            if (worst < 1e-15) break;
        }
        double[] sig = new double[cols];
        Integer[] order = new Integer[cols];
        for (int j = 0; j < cols; j++) {
            double nn = 0;
            for (int i = 0; i < rows; i++) nn += x[j][i] * x[j][i];
            sig[j] = Math.sqrt(nn);
            order[j] = j;
        }
        java.util.Arrays.sort(order, (p, q) -> Double.compare(sig[q], sig[p]));
        for (int r = 0; r < cols; r++) {
            int j = order[r];
            f(fi(s, r), (float) sig[j]);
            for (int i = 0; i < rows; i++) f(fi(u, i + (long) r * rows), (float) (x[j][i] / sig[j]));
            for (int i = 0; i < cols; i++) f(fi(v, i + (long) r * cols), (float) vv[i][j]);
        }
    }
}
