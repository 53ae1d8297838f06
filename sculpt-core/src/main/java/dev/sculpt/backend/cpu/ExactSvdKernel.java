package dev.sculpt.backend.cpu;

import static org.bytedeco.openblas.global.openblas.LAPACK_COL_MAJOR;
import static org.bytedeco.openblas.global.openblas.LAPACKE_sgesdd;

import dev.sculpt.tensor.MatrixBatch;
import java.nio.FloatBuffer;

/**
 * Full thin SVD of one m x n matrix by LAPACK sgesdd (divide and conquer), truncated to the top k.
 *
 * <p>The row-major matrix A is the column-major A^T (n x m), so sgesdd runs column-major on a copy of A's
 * memory: A^T = X S Y^T gives A = Y S X^T, where Y^T's column-major memory is U of A row-major (m x r) and
 * X (column-major n x r) is V of A, transposed on the way out.
 */
final class ExactSvdKernel implements AutoCloseable {
    private final int m, n, k, r;
    private final Workspace ws = new Workspace();
    private final Workspace.Slot work, x, yt, s;

    ExactSvdKernel(int m, int n, int k) {
        this.m = m;
        this.n = n;
        this.k = k;
        this.r = Math.min(m, n);
        work = ws.slot((long) m * n);
        x = ws.slot((long) n * r);
        yt = ws.slot((long) r * m);
        s = ws.slot(r);
    }

    void run(MatrixBatch in, int b, MatrixBatch uOut, MatrixBatch sOut, MatrixBatch vOut) {
        FloatBuffer a = in.buffer();
        int size = m * n;
        float[] tmp = new float[Math.min(size, 1 << 16)];
        for (int e = 0; e < size; e += tmp.length) {   // sgesdd destroys its input: work on a copy
            int len = Math.min(tmp.length, size - e);
            a.get((int) in.offset(b) + e, tmp, 0, len);
            work.buf().put(e, tmp, 0, len);
        }
        int info = LAPACKE_sgesdd(LAPACK_COL_MAJOR, (byte) 'S', n, m, work.ptr(), n, s.ptr(), x.ptr(), n, yt.ptr(), r);
        if (info != 0) {
            throw new dev.sculpt.SculptException("LAPACK sgesdd did not converge on '" + in.name(b) + "' (info " + info + ")");
        }
        FloatBuffer u = uOut.buffer();
        int uOff = (int) uOut.offset(b);
        float[] row = new float[k];
        for (int i = 0; i < m; i++) {
            yt.buf().get(i * r, row, 0, k);
            u.put(uOff + i * k, row, 0, k);
        }
        FloatBuffer v = vOut.buffer();
        int vOff = (int) vOut.offset(b);
        float[] col = new float[n];
        for (int j = 0; j < k; j++) {
            x.buf().get(j * n, col, 0, n);
            for (int i = 0; i < n; i++) v.put(vOff + i * k + j, col[i]);
        }
        for (int j = 0; j < k; j++) sOut.buffer().put((int) sOut.offset(b) + j, s.buf().get(j));
    }

    @Override
    public void close() {
        ws.close();
    }
}
