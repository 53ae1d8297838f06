package dev.sculpt.backend;

import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.linalg.SvdResult;
import dev.sculpt.tensor.MatrixBatch;

/**
 * The kernel op set. Each op exists once per backend; one contract test suite checks every backend.
 * Batches passed in may live on the host or on this backend's device; results live where the input lives.
 * Every op validates its input (finite values, shapes, ranks) and throws {@link dev.sculpt.SculptException}
 * naming the offending matrix (see {@link MatrixBatch#name(int)}).
 */
public interface Backend {
    /** "cpu" or "cuda". */
    String name();

    /**
     * Whether this backend computes on host batches in place (no upload or download around its ops). Callers use
     * this, never {@link #name()}, to decide whether to stage data on a device.
     */
    boolean computesOnHost();

    /** A short description of the hardware (threads, device name). */
    String describe();

    /** Allocates a zero-filled batch in this backend's native storage. */
    MatrixBatch allocate(int count, int rows, int cols);

    /** Copies a batch into this backend's storage (a copy even when it is already there). */
    MatrixBatch upload(MatrixBatch host);

    /** Copies a batch of this backend into new host storage. */
    MatrixBatch download(MatrixBatch batch);

    /**
     * Fills {@code out} with the reproducible Gaussian sketch: element (r, c) of matrix b is
     * {@link dev.sculpt.linalg.Philox#gaussian(long, long, long)} with (seed, b, r * cols + c).
     */
    void gaussian(MatrixBatch out, long seed);

    /** Randomized top-k SVD of every matrix of the batch. */
    SvdResult randomizedSvd(MatrixBatch a, int k, SvdOptions options);

    /** Exact SVD (gesdd / cuSOLVER) truncated to the top k. */
    SvdResult exactSvd(MatrixBatch a, int k);

    /**
     * In place: {@code d[b] = P(d[b])} with the protected bases {@code u[b]} (m x k) and {@code v[b]} (n x k),
     * whose columns are orthonormal.
     */
    void project(MatrixBatch d, MatrixBatch u, MatrixBatch v, ProjectionMode mode);
}
