package dev.sculpt.model.t5;

import dev.sculpt.SculptException;
import dev.sculpt.model.Example;
import java.util.List;

/**
 * A micro-batch of encoder-decoder pairs packed end to end without padding: the encoder inputs of all sequences one
 * after another ({@code encIds}, sequence s at rows [encStart[s], encStart[s] + encLen[s])), and the decoder inputs
 * likewise ({@code decIds}, with {@code labels} row for row, or null when there is no loss). Every projection runs
 * as one product over all rows of its stack; attention runs per sequence on views: encoder self-attention over
 * the sequence's encoder rows, decoder self-attention (causal) over its decoder rows, cross-attention from its
 * decoder rows to its encoder rows. Attention probabilities and position biases of sequence s sit at
 * {@code heads * encPlane[s]} ([heads, n_s, n_s]), {@code heads * decPlane[s]} ([heads, m_s, m_s]) and
 * {@code heads * crossPlane[s]} ([heads, m_s, n_s]) of the packed tensors.
 *
 * <p>For an {@link Example}: encoder input = prompt (an empty prompt is read as [eos], since the decoder needs
 * something to attend to); labels = target; decoder input = decoder_start_token_id followed by the target shifted
 * right by one. Examples with an empty target carry no loss and are left out.
 */
final class EncDecBatch {
    final int[] encIds;
    final int[] encStart;
    final int[] encLen;
    final int[] decIds;
    /** One label per decoder row, or null (no loss). */
    final int[] labels;
    final int[] decStart;
    final int[] decLen;
    final long[] encPlane;
    final long[] decPlane;
    final long[] crossPlane;
    final int maxEnc;
    final int maxDec;
    final long encPlanes;
    final long decPlanes;
    final long crossPlanes;

    private EncDecBatch(int[] encIds, int[] encLen, int[] decIds, int[] labels, int[] decLen) {
        this.encIds = encIds;
        this.encLen = encLen;
        this.decIds = decIds;
        this.labels = labels;
        this.decLen = decLen;
        int s = encLen.length;
        encStart = new int[s];
        decStart = new int[s];
        encPlane = new long[s];
        decPlane = new long[s];
        crossPlane = new long[s];
        int e = 0, d = 0, me = 0, md = 0;
        long pe = 0, pd = 0, pc = 0;
        for (int i = 0; i < s; i++) {
            encStart[i] = e;
            decStart[i] = d;
            encPlane[i] = pe;
            decPlane[i] = pd;
            crossPlane[i] = pc;
            e += encLen[i];
            d += decLen[i];
            pe += (long) encLen[i] * encLen[i];
            pd += (long) decLen[i] * decLen[i];
            pc += (long) decLen[i] * encLen[i];
            me = Math.max(me, encLen[i]);
            md = Math.max(md, decLen[i]);
        }
        maxEnc = me;
        maxDec = md;
        encPlanes = pe;
        decPlanes = pd;
        crossPlanes = pc;
    }

    int sequences() { return encLen.length; }

    int encTokens() { return encIds.length; }

    int decTokens() { return decIds.length; }

    /** Training / evaluation packing; ids are checked against the vocabulary, naming the example. */
    static EncDecBatch ofExamples(List<Example> batch, T5Config config) {
        if (batch == null) throw new SculptException("batch must not be null");
        int seqs = 0, encTotal = 0, decTotal = 0;
        for (int e = 0; e < batch.size(); e++) {
            Example ex = batch.get(e);
            checkIds(ex.prompt(), "example " + e + " prompt", config.vocabSize());
            checkIds(ex.target(), "example " + e + " target", config.vocabSize());
            if (ex.target().length == 0) continue;
            seqs++;
            encTotal += Math.max(1, ex.prompt().length);
            decTotal += ex.target().length;
        }
        int[] encIds = new int[encTotal], encLen = new int[seqs];
        int[] decIds = new int[decTotal], labels = new int[decTotal], decLen = new int[seqs];
        int s = 0, e = 0, d = 0;
        for (Example ex : batch) {
            int[] target = ex.target();
            if (target.length == 0) continue;
            int[] enc = ex.prompt().length == 0 ? new int[] {config.eosTokenId()} : ex.prompt();
            System.arraycopy(enc, 0, encIds, e, enc.length);
            encLen[s] = enc.length;
            e += enc.length;
            decIds[d] = config.decoderStartTokenId();
            System.arraycopy(target, 0, decIds, d + 1, target.length - 1);
            System.arraycopy(target, 0, labels, d, target.length);
            decLen[s++] = target.length;
            d += target.length;
        }
        return new EncDecBatch(encIds, encLen, decIds, labels, decLen);
    }

    /** One encoder input and one decoder input, without labels (logits, the encoder pass of generation). */
    static EncDecBatch ofPair(int[] encoderIds, int[] decoderIds, T5Config config) {
        if (encoderIds == null || encoderIds.length == 0) throw new SculptException("T5 needs at least one encoder input id");
        if (decoderIds == null || decoderIds.length == 0) throw new SculptException("T5 needs at least one decoder input id");
        checkIds(encoderIds, "encoder input", config.vocabSize());
        checkIds(decoderIds, "decoder input", config.vocabSize());
        return new EncDecBatch(encoderIds.clone(), new int[] {encoderIds.length}, decoderIds.clone(), null,
                new int[] {decoderIds.length});
    }

    static void checkIds(int[] ids, String what, int vocab) {
        if (ids == null) throw new SculptException(what + " ids must not be null");
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new SculptException(what + " token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
    }
}
