package dev.sculpt.model;

import dev.sculpt.SculptException;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The decoding loop shared by every model: feed the prompt once (the model fills its KV cache), then one token
 * at a time, picking each next token greedily or by temperature and nucleus (top-p) sampling under the options'
 * seed. Stops at a stop token (not returned), after {@code maxNewTokens}, or when the model has no room left.
 */
public final class Generator {
    private Generator() {}

    /** A model's incremental decoder: it keeps its own KV cache between calls. */
    public interface Decoder {
        /** Feeds {@code ids} after everything fed so far and returns the logits [vocab] after the last of them. */
        float[] feed(int[] ids);

        /** How many more tokens can be fed (the position limit); Integer.MAX_VALUE when unbounded. */
        int remaining();
    }

    /** Runs the loop over a decoder whose cache is empty; {@code prompt} must not be empty. */
    public static int[] generate(Decoder decoder, int[] prompt, GenerationOptions options) {
        if (prompt.length == 0) throw new SculptException("generation needs at least one prompt token");
        if (prompt.length > decoder.remaining()) {
            throw new SculptException("prompt of " + prompt.length + " tokens exceeds the model's " + decoder.remaining() + " positions");
        }
        SplittableRandom rnd = new SplittableRandom(options.seed());
        int[] out = new int[Math.min(options.maxNewTokens(), 1 << 16)];
        int produced = 0;
        if (options.maxNewTokens() == 0) return new int[0];
        float[] logits = decoder.feed(prompt);
        while (true) {
            int next = pick(logits, options, rnd);
            if (options.stopTokens().contains(next)) break;
            if (produced == out.length) out = Arrays.copyOf(out, out.length * 2);
            out[produced++] = next;
            if (produced >= options.maxNewTokens() || decoder.remaining() < 1) break;
            logits = decoder.feed(new int[]{next});
        }
        return Arrays.copyOf(out, produced);
    }

    /** The next token from one row of logits: argmax (lowest id on ties) or a temperature / top-p sample. */
    public static int pick(float[] logits, GenerationOptions o, SplittableRandom rnd) {
        if (o.greedy()) return argmax(logits);
        int v = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) max = Math.max(max, x);
        double[] p = new double[v];
        double z = 0;
        for (int i = 0; i < v; i++) {
            p[i] = Math.exp((logits[i] - max) / o.temperature());
            z += p[i];
        }
        // nucleus: the smallest set of most likely tokens whose mass reaches top-p (ties: lower id first).
        // Sort keys pack (probability as float bits, inverted id) into longs: ascending order, read from the end.
        long[] keys = new long[v];
        for (int i = 0; i < v; i++) keys[i] = ((long) Float.floatToIntBits((float) (p[i] / z)) << 32) | (Integer.MAX_VALUE - i);
        Arrays.sort(keys);
        double kept = 0;
        int keep = 0;
        while (keep < v) {
            kept += p[idAt(keys, keep)] / z;
            keep++;
            if (kept >= o.topP()) break;
        }
        double u = rnd.nextDouble() * kept;
        double acc = 0;
        for (int r = 0; r < keep; r++) {
            acc += p[idAt(keys, r)] / z;
            if (u < acc) return idAt(keys, r);
        }
        return idAt(keys, keep - 1);
    }

    /** The id of the r-th most likely entry of the sorted keys. */
    private static int idAt(long[] sortedKeys, int r) {
        return Integer.MAX_VALUE - (int) (sortedKeys[sortedKeys.length - 1 - r] & 0xffffffffL);
    }

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
