package dev.sculpt.backend;

import dev.sculpt.linalg.SvdMethod;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.linalg.SvdPlanner;
import dev.sculpt.linalg.SvdResult;
import dev.sculpt.tensor.MatrixBatch;

/**
 * Entry point for top-k decompositions of a batch: {@code Svd.topK(backend, batch, k, options)} runs the
 * method the options name, resolving {@link SvdMethod#AUTO} through {@link SvdPlanner}.
 */
public final class Svd {
    private Svd() {}

    public static SvdResult topK(Backend backend, MatrixBatch a, int k, SvdOptions options) {
        SvdMethod m = options.method() == SvdMethod.AUTO
                ? SvdPlanner.choose(a.rows(), a.cols(), k, options)
                : options.method();
        return m == SvdMethod.EXACT ? backend.exactSvd(a, k) : backend.randomizedSvd(a, k, options);
    }
}
