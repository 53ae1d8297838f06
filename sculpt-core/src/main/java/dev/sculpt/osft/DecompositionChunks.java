package dev.sculpt.osft;

import java.util.ArrayList;
import java.util.List;

/**
 * How the start of a task splits a group of same-shape targets into the batches it decomposes
 * ({@link SubspaceGuard#protect()}), and how the memory planner sizes the task start: batches of at most
 * {@link #MAX_ELEMENTS} input elements (512 MiB of float32), as even as the count allows.
 *
 * <p>Why a cap: a batch lives twice at once, as a host staging copy (one host batch holds at most 2^31 - 1 floats,
 * which the 128 q/k/v/o matrices of LLaMA-7B, 2^31 elements, already pass) and on the device beside its sketch and
 * factors. At 2^27 elements a LLaMA-7B batch is 8 of its 4096 x 4096 matrices or 2 of its 11008 x 4096 ones, each
 * product of the randomized SVD still a large GEMM (4096 x 4096 x 1444 at rank ratio 0.35), and the task start's
 * device memory (input, factors, sketch and the rest of the CUDA backend's workspace) is 2.52 GB for a batch of 8
 * (MemoryPlannerTest).
 */
public final class DecompositionChunks {
    /** The most input elements of one decomposition batch: 2^27 (512 MiB of float32). */
    public static final long MAX_ELEMENTS = 1L << 27;

    private DecompositionChunks() {}

    /** {@link #sizes(int, long, long)} with the default cap {@link #MAX_ELEMENTS}. */
    public static int[] sizes(int count, long elements) {
        return sizes(count, elements, MAX_ELEMENTS);
    }

    /**
     * The batch sizes, in order, for {@code count} matrices of {@code elements} each under a cap of {@code maxElements}
     * input elements per batch: ceil(count / per) batches of at most per = max(1, maxElements / elements) matrices,
     * sizes differing by at most one (larger first).
     */
    public static int[] sizes(int count, long elements, long maxElements) {
        if (count < 0 || elements < 1 || maxElements < 1) {
            throw new IllegalArgumentException("count " + count + ", elements " + elements + ", cap " + maxElements);
        }
        if (count == 0) return new int[0];
        long per = Math.max(1, maxElements / elements);
        int batches = (int) ((count + per - 1) / per);
        int[] sizes = new int[batches];
        for (int i = 0; i < batches; i++) sizes[i] = count / batches + (i < count % batches ? 1 : 0);
        return sizes;
    }

    /** {@code items} (matrices of {@code elements} each) cut into consecutive batches of {@link #sizes(int, long, long)}. */
    public static <T> List<List<T>> split(List<T> items, long elements, long maxElements) {
        List<List<T>> batches = new ArrayList<>();
        int from = 0;
        for (int size : sizes(items.size(), elements, maxElements)) {
            batches.add(items.subList(from, from + size));
            from += size;
        }
        return batches;
    }

    /** The largest batch {@link #sizes(int, long)} gives. */
    public static int largest(int count, long elements) {
        int[] s = sizes(count, elements);
        return s.length == 0 ? 0 : s[0];
    }
}
