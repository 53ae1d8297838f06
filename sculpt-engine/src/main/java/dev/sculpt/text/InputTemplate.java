package dev.sculpt.text;

import dev.sculpt.SculptException;
import java.util.Arrays;

/**
 * The special tokens put around one model input text, as a Hugging Face tokenizer's post-processor does for a
 * single sequence when {@code add_special_tokens=True}: LLaMA's {@code <s> $A} ({@link #bosFirst}), T5's
 * {@code $A </s>} ({@link #eosLast}). Every Sculpt path that turns a prompt into model input (training, evaluation,
 * {@code sculpt generate}, continual, evolve) goes through {@link Tokenizer#encodeInput}, that is through this, so a
 * prompt is formatted one way everywhere and the way Hugging Face formats it.
 *
 * @param prefix ids before the text
 * @param suffix ids after the text
 */
public record InputTemplate(int[] prefix, int[] suffix) {
    /** No special tokens. */
    public static final InputTemplate NONE = new InputTemplate(new int[0], new int[0]);

    public InputTemplate {
        prefix = prefix.clone();
        suffix = suffix.clone();
        for (int id : prefix) if (id < 0) throw new SculptException("input template: negative token id " + id);
        for (int id : suffix) if (id < 0) throw new SculptException("input template: negative token id " + id);
    }

    /** {@code bos text} (LLaMA); no special token when {@code bos} is -1. */
    public static InputTemplate bosFirst(int bos) {
        return bos < 0 ? NONE : new InputTemplate(new int[] {bos}, new int[0]);
    }

    /** {@code text eos} (T5); no special token when {@code eos} is -1. */
    public static InputTemplate eosLast(int eos) {
        return eos < 0 ? NONE : new InputTemplate(new int[0], new int[] {eos});
    }

    @Override public int[] prefix() { return prefix.clone(); }
    @Override public int[] suffix() { return suffix.clone(); }

    /** Number of special tokens added around a text. */
    public int added() {
        return prefix.length + suffix.length;
    }

    /** {@code prefix ++ body ++ suffix}. */
    public int[] apply(int[] body) {
        return apply(body, Integer.MAX_VALUE);
    }

    /**
     * {@code prefix ++ body ++ suffix} in at most {@code maxTokens} ids: when too long, the body loses its first
     * tokens (the end of a prompt, next to the answer, matters most) and the special tokens stay; when even they do
     * not fit, the last {@code maxTokens} ids of the result.
     */
    public int[] apply(int[] body, int maxTokens) {
        if (maxTokens < 0) throw new SculptException("maxTokens must be >= 0, got " + maxTokens);
        int keep = (int) Math.max(0, Math.min(body.length, (long) maxTokens - added()));
        int[] out = new int[prefix.length + keep + suffix.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(body, body.length - keep, out, prefix.length, keep);
        System.arraycopy(suffix, 0, out, prefix.length + keep, suffix.length);
        return out.length <= maxTokens ? out : Arrays.copyOfRange(out, out.length - maxTokens, out.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InputTemplate t && Arrays.equals(prefix, t.prefix) && Arrays.equals(suffix, t.suffix);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(prefix) + Arrays.hashCode(suffix);
    }

    @Override
    public String toString() {
        return "InputTemplate" + Arrays.toString(prefix) + " $A " + Arrays.toString(suffix);
    }
}
