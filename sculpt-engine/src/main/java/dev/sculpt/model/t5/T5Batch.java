package dev.sculpt.model.t5;

import dev.sculpt.SculptException;
import dev.sculpt.engine.PackedBatch;
import dev.sculpt.model.Example;
import java.util.ArrayList;
import java.util.List;

/**
 * A micro-batch of encoder-decoder pairs as two {@link PackedBatch}es whose sequences correspond one to one: the
 * encoder inputs packed end to end ({@link PackedBatch#ofSequences}) and the teacher-forced decoder inputs with their
 * labels ({@link PackedBatch#ofDecoderTargets}: decoder_start_token_id followed by the target shifted right by
 * one). Decoder sequence s cross-attends to encoder sequence s. An empty prompt is read as [eos] (the decoder needs
 * something to attend to); an example with an empty target carries no loss and is left out of both.
 */
record T5Batch(PackedBatch encoder, PackedBatch decoder) {
    private static final int NO_POSITION_LIMIT = Integer.MAX_VALUE;   // T5's relative positions have no table limit

    int sequences() { return encoder.sequences(); }

    /** Training / evaluation packing; every id is checked against the vocabulary, naming its example. */
    static T5Batch ofExamples(List<Example> batch, T5Config config) {
        if (batch == null) throw new SculptException("batch must not be null");
        List<int[]> enc = new ArrayList<>();
        List<int[]> dec = new ArrayList<>();
        for (int e = 0; e < batch.size(); e++) {
            Example ex = batch.get(e);
            checkIds(ex.prompt(), "example " + e + " prompt", config.vocabSize());
            checkIds(ex.target(), "example " + e + " target", config.vocabSize());
            if (ex.target().length == 0) continue;
            enc.add(ex.prompt().length == 0 ? new int[] {config.eosTokenId()} : ex.prompt());
            dec.add(ex.target());
        }
        return new T5Batch(PackedBatch.ofSequences(enc, NO_POSITION_LIMIT),
                PackedBatch.ofDecoderTargets(dec, config.decoderStartTokenId(), NO_POSITION_LIMIT));
    }

    /** One encoder input and given decoder input ids, without a loss (logits). */
    static T5Batch ofPair(int[] encoderIds, int[] decoderIds, T5Config config) {
        if (encoderIds == null || encoderIds.length == 0) throw new SculptException("T5 needs at least one encoder input id");
        if (decoderIds == null || decoderIds.length == 0) throw new SculptException("T5 needs at least one decoder input id");
        checkIds(encoderIds, "encoder input", config.vocabSize());
        checkIds(decoderIds, "decoder input", config.vocabSize());
        return new T5Batch(PackedBatch.ofSequences(List.of(encoderIds.clone()), NO_POSITION_LIMIT),
                PackedBatch.ofSequences(List.of(decoderIds.clone()), NO_POSITION_LIMIT));
    }

    /** Every id in [0, vocab), or an error naming {@code what}, the id and its position. */
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
