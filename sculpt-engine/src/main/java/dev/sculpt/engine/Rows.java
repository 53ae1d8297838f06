package dev.sculpt.engine;

import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;

/**
 * Row gather and scatter within a provider's memory, through the embedding ops (a gather is a lookup in a table
 * that happens to be an activation): used to run the lm_head on the loss rows only.
 */
public final class Rows {
    private Rows() {}

    /** dst [rows.length, d] = src [n, d] rows {@code rows}. */
    public static void gather(Ops ops, Tensor src, int[] rows, Tensor dst) {
        ops.embeddingForward(src, rows, dst);
    }

    /** {@code dst[rows[i]] += src[i]} (src [rows.length, d], dst [n, d]; repeated rows add up). */
    public static void scatterAdd(Ops ops, int[] rows, Tensor src, Tensor dst) {
        ops.embeddingBackward(rows, src, dst);
    }
}
