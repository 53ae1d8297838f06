package dev.sculpt.backend.cpu;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backend;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.linalg.SvdResult;
import dev.sculpt.tensor.MatrixBatch;

/** CPU backend: OpenBLAS (org.bytedeco preset) and Java loops. Work in progress: the kernels are being written. */
public final class CpuBackend implements Backend {
    @Override public String name() { return "cpu"; }
    @Override public String describe() { return "CPU, " + Runtime.getRuntime().availableProcessors() + " threads, OpenBLAS"; }
    @Override public MatrixBatch allocate(int count, int rows, int cols) { return MatrixBatch.allocateHost(count, rows, cols); }

    @Override public MatrixBatch upload(MatrixBatch host) { return download(host); }

    @Override public MatrixBatch download(MatrixBatch batch) {
        MatrixBatch out = MatrixBatch.allocateHost(batch.count(), batch.rows(), batch.cols());
        out.buffer().put(0, batch.buffer(), 0, (int) batch.elementCount());
        return out.withNames(batch.names());
    }

    @Override public void gaussian(MatrixBatch out, long seed) { throw new SculptException("not yet implemented"); }
    @Override public SvdResult randomizedSvd(MatrixBatch a, int k, SvdOptions o) { throw new SculptException("not yet implemented"); }
    @Override public SvdResult exactSvd(MatrixBatch a, int k) { throw new SculptException("not yet implemented"); }
    @Override public void project(MatrixBatch d, MatrixBatch u, MatrixBatch v, ProjectionMode m) { throw new SculptException("not yet implemented"); }
}
