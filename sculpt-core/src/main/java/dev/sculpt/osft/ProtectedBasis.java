package dev.sculpt.osft;

import dev.sculpt.SculptException;

/**
 * The frozen subspace of one m x n weight matrix: orthonormal columns {@code U_h} (m x ku) and {@code V_h} (n x kv),
 * row-major on the heap. Normally ku = kv = k, the top-k singular vectors of W; {@link #union} accumulates the
 * bases of successive tasks, where the two sides may end up with different counts.
 */
public final class ProtectedBasis {
    private final int rows;
    private final int cols;
    private final int ku;
    private final int kv;
    private final float[] u;
    private final float[] v;

    public ProtectedBasis(int rows, int cols, int ku, float[] u, int kv, float[] v) {
        if (u.length != (long) rows * ku) throw new SculptException("U_h: expected " + rows + " x " + ku + " values, got " + u.length);
        if (v.length != (long) cols * kv) throw new SculptException("V_h: expected " + cols + " x " + kv + " values, got " + v.length);
        this.rows = rows;
        this.cols = cols;
        this.ku = ku;
        this.kv = kv;
        this.u = u;
        this.v = v;
    }

    public static ProtectedBasis empty(int rows, int cols) {
        return new ProtectedBasis(rows, cols, 0, new float[0], 0, new float[0]);
    }

    public int rows() { return rows; }
    public int cols() { return cols; }
    /** Columns of U_h. */
    public int leftRank() { return ku; }
    /** Columns of V_h. */
    public int rightRank() { return kv; }
    /** The larger of the two ranks (the width both sides are padded to for a batched projection). */
    public int rank() { return Math.max(ku, kv); }
    /** U_h, row-major m x ku (not copied). */
    public float[] u() { return u; }
    /** V_h, row-major n x kv (not copied). */
    public float[] v() { return v; }

    /** This basis with both sides padded by zero columns to {@code width} (zero columns project nothing away). */
    float[] paddedU(int width) { return pad(u, rows, ku, width); }
    float[] paddedV(int width) { return pad(v, cols, kv, width); }

    private static float[] pad(float[] a, int n, int k, int width) {
        if (width == k) return a;
        float[] out = new float[n * width];
        for (int r = 0; r < n; r++) System.arraycopy(a, r * k, out, r * width, k);
        return out;
    }

    /**
     * The union of an earlier basis and a fresh one: the old columns first, then the fresh columns after removing
     * their components along everything kept so far (modified Gram-Schmidt, twice, in double), dropping columns
     * that are (numerically) already spanned, and stopping at {@code maxRank} columns per side.
     */
    public static ProtectedBasis union(ProtectedBasis old, ProtectedBasis fresh, int maxRank) {
        if (old.rows != fresh.rows || old.cols != fresh.cols) {
            throw new SculptException("cannot unite bases of " + old.rows + " x " + old.cols + " and " + fresh.rows + " x " + fresh.cols);
        }
        double[][] uCols = unionColumns(old.u, old.ku, fresh.u, fresh.ku, old.rows, maxRank);
        double[][] vCols = unionColumns(old.v, old.kv, fresh.v, fresh.kv, old.cols, maxRank);
        return new ProtectedBasis(old.rows, old.cols, uCols.length, toRowMajor(uCols, old.rows), vCols.length, toRowMajor(vCols, old.cols));
    }

    private static double[][] unionColumns(float[] a, int ka, float[] b, int kb, int n, int maxRank) {
        java.util.List<double[]> kept = new java.util.ArrayList<>();
        for (int src = 0; src < 2; src++) {
            float[] m = src == 0 ? a : b;
            int k = src == 0 ? ka : kb;
            for (int c = 0; c < k && kept.size() < maxRank; c++) {
                double[] x = new double[n];
                for (int r = 0; r < n; r++) x[r] = m[r * k + c];
                double before = norm(x);
                if (before == 0) continue;
                for (int pass = 0; pass < 2; pass++) {
                    for (double[] q : kept) {
                        double d = 0;
                        for (int r = 0; r < n; r++) d += q[r] * x[r];
                        for (int r = 0; r < n; r++) x[r] -= d * q[r];
                    }
                }
                double after = norm(x);
                if (after <= 1e-4 * before) continue;
                for (int r = 0; r < n; r++) x[r] /= after;
                kept.add(x);
            }
        }
        return kept.toArray(new double[0][]);
    }

    private static double norm(double[] x) {
        double s = 0;
        for (double d : x) s += d * d;
        return Math.sqrt(s);
    }

    private static float[] toRowMajor(double[][] columns, int n) {
        int k = columns.length;
        float[] out = new float[n * k];
        for (int c = 0; c < k; c++) for (int r = 0; r < n; r++) out[r * k + c] = (float) columns[c][r];
        return out;
    }
}
