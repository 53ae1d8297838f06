package dev.sculpt.model.t5;

import dev.sculpt.model.TrainingShape;
import dev.sculpt.model.TrainingShape.Held;
import dev.sculpt.model.TrainingShape.Rows;
import dev.sculpt.model.TrainingShape.Scratch;
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
 * <p>Activations, from what {@link T5Model} and its blocks allocate (the planner counts encoder blocks over the
 * encoder tokens and decoder blocks over the decoder tokens). Per encoder token an encoder block keeps its input, the
 * two norm outputs and the residual between its sub-layers (4 d), q, k, v and the attention context (4 inner), the
 * feed-forward's wi_0, wi_1 and their product (3 d_ff, gated) or wi's output before and after the ReLU (2 d_ff), one
 * softmax row of the encoder sequence per head and two reciprocal RMS values. Per decoder token a decoder block keeps
 * its input, the three norm outputs and the two residuals between its sub-layers (6 d), the self-attention's q, k, v
 * and context and the cross-attention's q and context (6 inner), the feed-forward's 3 d_ff or 2 d_ff, one softmax row
 * of the decoder sequence and one of the encoder sequence per head and three reciprocal RMS values; and per encoder
 * token the cross-attention's projected keys and values (2 inner). Each stack computes its relative position bias
 * once, one row of its sequence per head and token, for all its blocks. The backward's buffers: the gradients of
 * the decoder's final norm output, of the decoder stream, of the encoder output and of the encoder stream ([rows, d]
 * each over their stack's rows), and over the longer stack's rows the norm-output gradient and the norms' scratch
 * (d each), the attention's dctx, dq, dk, dv (inner each) and the feed-forward's dh (and dgate, dup when gated: d_ff
 * each); the position bias's gradient plane of the longer sequence; under recomputation each stack's recomputed
 * block output (d). Under bf16 compute without recomputation the blocks' buffers (everything but the inputs, norm
 * outputs and residuals), their softmax rows and the cross keys and values are saved in bf16, and the step holds the
 * blocks' float32 staging over the longer stack's rows: q, k, v, ctx (inner each) and the feed-forward's 3 d_ff or
 * 2 d_ff, plus one [heads, S, S] probability plane of the longer sequence.
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
        int gatedFf = c.gated() ? 3 : 2;
        // decoder block, per decoder token: input, self.xn, mid1, cross.xn, mid2, ff.xn; self q k v ctx, cross q ctx; ff
        List<Integer> widths = new ArrayList<>();
        for (int i = 0; i < 6; i++) widths.add(di);
        for (int i = 0; i < 6; i++) widths.add(ii);
        for (int i = 0; i < gatedFf; i++) widths.add(fi);
        long saved = 6 * d + 6 * inner + gatedFf * ff;
        // encoder block, per encoder token: input, self.xn, mid, ff.xn; q k v ctx; ff
        List<Integer> encWidths = new ArrayList<>();
        for (int i = 0; i < 4; i++) encWidths.add(di);
        for (int i = 0; i < 4; i++) encWidths.add(ii);
        for (int i = 0; i < gatedFf; i++) encWidths.add(fi);
        List<Scratch> backward = new ArrayList<>(List.of(
                new Scratch("grad.dnorm", di, Rows.DECODER, Held.ALWAYS), new Scratch("grad.dec", di, Rows.DECODER, Held.ALWAYS),
                new Scratch("grad.encout", di, Rows.ENCODER, Held.ALWAYS), new Scratch("grad.enc", di, Rows.ENCODER, Held.ALWAYS),
                new Scratch("grad.dxn", di, Rows.LONGER, Held.ALWAYS), new Scratch("scratch.norm.dx", di, Rows.LONGER, Held.ALWAYS),
                new Scratch("scratch.attn.dctx", ii, Rows.LONGER, Held.ALWAYS), new Scratch("scratch.attn.dq", ii, Rows.LONGER, Held.ALWAYS),
                new Scratch("scratch.attn.dk", ii, Rows.LONGER, Held.ALWAYS), new Scratch("scratch.attn.dv", ii, Rows.LONGER, Held.ALWAYS),
                new Scratch("scratch.ffn.dh", fi, Rows.LONGER, Held.ALWAYS)));
        if (c.gated()) {
            backward.add(new Scratch("scratch.ffn.dgate", fi, Rows.LONGER, Held.ALWAYS));
            backward.add(new Scratch("scratch.ffn.dup", fi, Rows.LONGER, Held.ALWAYS));
        }
        backward.add(new Scratch("scratch.recompute.enc", di, Rows.ENCODER, Held.RECOMPUTE));
        backward.add(new Scratch("scratch.recompute.dec", di, Rows.DECODER, Held.RECOMPUTE));
        // bf16 saves: the float32 staging the attention and feed-forward blocks share (engine.AttentionBlock, FeedForward)
        for (String w : List.of("q", "k", "v", "ctx")) backward.add(new Scratch("scratch.stage.attn." + w, ii, Rows.LONGER, Held.BF16_SAVES));
        for (String w : c.gated() ? List.of("gate", "up", "h") : List.of("gate", "h")) {
            backward.add(new Scratch("scratch.stage.ffn." + w, fi, Rows.LONGER, Held.BF16_SAVES));
        }
        // stream and norm outputs stay float32: the decoder's first six widths, the encoder's first four
        TrainingShape.Encoder encoder = new TrainingShape.Encoder(enc, encWidths, 4, c.numHeads(), 2, List.of(ii, ii), c.numHeads(),
                c.numHeads(), backward);
        // generation: per decoder block a self-attention cache of the new tokens and a cross-attention cache of the
        // encoder positions, inner wide each; no position limit of its own (relative positions)
        return new TrainingShape(parameters, targets, dec, (int) d, c.vocabSize(), saved, c.numHeads(), 3, tensors, widths, 6, encoder,
                new TrainingShape.Decoding(dec, ii, ii, c.numHeads(), Integer.MAX_VALUE));
    }
}
