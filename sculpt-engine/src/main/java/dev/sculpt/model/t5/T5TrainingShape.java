package dev.sculpt.model.t5;

import dev.sculpt.model.TrainingShape;
import dev.sculpt.model.TrainingShape.TargetGroup;
import dev.sculpt.model.TrainingShape.TensorGroup;
import java.util.ArrayList;
import java.util.List;

/**
 * The memory planner's view of a T5 ({@link TrainingShape}), from its config alone.
 *
 * <p>Parameters: the shared embedding (plus lm_head when untied), one relative-bias table per stack
 * (buckets x heads), per encoder block two norms, q/k/v/o and the feed-forward; per decoder block three norms, the
 * self- and cross-attention q/k/v/o and the feed-forward; one final norm per stack. For t5-small (d 512, d_ff 2048,
 * 6 + 6 blocks, 8 heads, 32 buckets, vocabulary 32128, tied) that is 60,506,624, transformers' count.
 *
 * <p>Activations are sized with the decoder block, the larger of the two, for every block, and with as many encoder
 * as decoder tokens, so the plan is an upper bound for seq2seq batches whose targets are no longer than their inputs:
 * per token a decoder block keeps 6 d (three residual inputs and three norm outputs), 8 inner (self q, k, v and
 * output; cross q, output, and the projected encoder k, v) and the feed-forward's 3 d_ff (gated: wi_0, wi_1 and
 * their product) or 2 d_ff (ReLU: before and after), one softmax row per head for each of the two attentions, and
 * three reciprocal RMS values.
 */
final class T5TrainingShape {
    private T5TrainingShape() {}

    static TrainingShape of(T5Config c) {
        long d = c.dModel(), inner = c.innerDim(), ff = c.dFf();
        int enc = c.numLayers(), dec = c.numDecoderLayers();
        long ffParams = (c.gated() ? 3 : 2) * d * ff;
        long encoderBlock = 2 * d + 4 * d * inner + ffParams;
        long decoderBlock = 3 * d + 8 * d * inner + ffParams;
        long parameters = (long) c.vocabSize() * d * (c.tieWordEmbeddings() ? 1 : 2)
                + 2L * c.relativeAttentionNumBuckets() * c.numHeads()
                + enc * encoderBlock + dec * decoderBlock + 2 * d;

        int attention = enc + 2 * dec;   // q/k/v/o sets: one per encoder block, two per decoder block
        List<TargetGroup> targets = new ArrayList<>(List.of(
                new TargetGroup("q", (int) inner, (int) d, attention), new TargetGroup("k", (int) inner, (int) d, attention),
                new TargetGroup("v", (int) inner, (int) d, attention), new TargetGroup("o", (int) d, (int) inner, attention)));
        if (c.gated()) {
            targets.add(new TargetGroup("wi_0", (int) ff, (int) d, enc + dec));
            targets.add(new TargetGroup("wi_1", (int) ff, (int) d, enc + dec));
        } else {
            targets.add(new TargetGroup("wi", (int) ff, (int) d, enc + dec));
        }
        targets.add(new TargetGroup("wo", (int) d, (int) ff, enc + dec));

        int di = (int) d, ii = (int) inner, fi = (int) ff;
        List<TensorGroup> tensors = new ArrayList<>(List.of(
                new TensorGroup("shared", List.of(c.vocabSize(), di), 1),
                new TensorGroup("relative_attention_bias", List.of(c.relativeAttentionNumBuckets(), c.numHeads()), 2),
                new TensorGroup("layer_norm", List.of(di), 2 * enc + 3 * dec + 2),
                new TensorGroup("q k v", List.of(ii, di), 3 * attention), new TensorGroup("o", List.of(di, ii), attention),
                new TensorGroup(c.gated() ? "wi_0 wi_1" : "wi", List.of(fi, di), (c.gated() ? 2 : 1) * (enc + dec)),
                new TensorGroup("wo", List.of(di, fi), enc + dec)));
        if (!c.tieWordEmbeddings()) tensors.add(new TensorGroup("lm_head", List.of(c.vocabSize(), di), 1));
        List<Integer> widths = new ArrayList<>();
        for (int i = 0; i < 6; i++) widths.add(di);
        for (int i = 0; i < 8; i++) widths.add(ii);
        for (int i = 0; i < (c.gated() ? 3 : 2); i++) widths.add(fi);
        long saved = 6 * d + 8 * inner + (c.gated() ? 3 : 2) * ff;
        return new TrainingShape(parameters, targets, enc + dec, (int) d, c.vocabSize(), saved, 2 * c.numHeads(), 3, tensors, widths);
    }
}
