package dev.sculpt.linalg;

import dev.sculpt.tensor.MatrixBatch;

/**
 * Top-k singular triplets of every matrix of a batch: {@code u} is count x m x k, {@code s} is
 * count x 1 x k (descending), {@code v} is count x n x k, so that A_b ~ U_b diag(S_b) V_b^T.
 * Closing it frees all three.
 */
public record SvdResult(MatrixBatch u, MatrixBatch s, MatrixBatch v, SvdMethod method) implements AutoCloseable {
    public int k() { return s.cols(); }

    @Override
    public void close() {
        u.close();
        s.close();
        v.close();
    }
}
