package dev.sculpt.cem;

import dev.sculpt.model.Example;
import dev.sculpt.model.GenerationOptions;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.LossSum;
import dev.sculpt.model.Parameter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Test double for the mistake miner and loop plumbing: greedy answers come from {@code greedy(promptText)},
 * sampled answers from {@code sampled(promptText, seed)}, and next-token logits from {@code logits(promptText)}.
 * No learning here; {@link FactModel} learns.
 */
class ScriptedModel implements LanguageModel {
    private final dev.sculpt.ops.Ops hostOps = new dev.sculpt.ops.cpu.CpuOps();
    final TestBytes tok = new TestBytes();
    final Map<String, String> greedy = new HashMap<>();
    BiFunction<String, Long, String> sampled = (p, s) -> greedy.getOrDefault(p, "");
    final Map<String, float[]> logits = new HashMap<>();
    int generateCalls;

    String prompt(int[] ids) { return tok.decode(ids); }

    @Override public String architecture() { return "llama"; }
    @Override public List<Parameter> parameters() { return List.of(); }
    @Override public int vocabSize() { return 258; }
    @Override public LossSum forwardBackward(List<Example> batch, float gradScale) { throw new UnsupportedOperationException(); }
    @Override public LossSum loss(List<Example> batch) { throw new UnsupportedOperationException(); }

    @Override public float[][] logits(int[] ids, int[] decoderIds) {
        float[] row = logits.get(prompt(ids));
        if (row == null) throw new IllegalStateException("no logits scripted for " + prompt(ids));
        return new float[][] {row};
    }

    @Override public int[] generate(int[] prompt, GenerationOptions options) {
        generateCalls++;
        String p = prompt(prompt);
        String out = options.greedy() ? greedy.getOrDefault(p, "") : sampled.apply(p, options.seed());
        return tok.encode(out);
    }

    @Override public double[] blockInputOutputCosine(List<Example> sample) { return new double[0]; }
    @Override public int blockOf(String parameterName) { return -1; }
    @Override public List<String> targetMatrixNames() { return List.of(); }
    @Override public dev.sculpt.ops.Ops ops() { return hostOps; }
    @Override public void close() { hostOps.close(); }
}
