package dev.sculpt.model.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sculpt.model.Example;
import dev.sculpt.retention.Retention;
import dev.sculpt.text.ByteTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Retention}'s perplexity against the float64 {@link LlamaReference} on a tiny random LLaMA. */
class RetentionPerplexityTest {
    private static final int CONTEXT = 12;

    @Test
    void perplexityMatchesFloat64ReferenceIncludingCutLines() {
        ByteTokenizer tok = new ByteTokenizer();
        LlamaConfig cfg = new LlamaConfig(tok.vocabSize(), 16, 24, 2, 4, 2, 4, 1e-5, 10000.0, null, CONTEXT, false,
                tok.bosId(), new int[] {tok.eosId()}, tok.padId(), 0.25);
        Random rnd = new Random(System.nanoTime());
        long seed = rnd.nextLong();
        try (LlamaModel m = LlamaModelTest.randomModel(cfg, seed)) {
            List<String> lines = new ArrayList<>();
            int longOnes = 0;
            for (int i = 0; i < 11; i++) {
                int len = 1 + rnd.nextInt(20);   // up to 20 bytes + BOS: some exceed the 12-token context
                if (len + 1 > CONTEXT) longOnes++;
                StringBuilder sb = new StringBuilder();
                for (int k = 0; k < len; k++) sb.append((char) ('a' + rnd.nextInt(26)));
                lines.add(sb.toString());
            }
            lines.add("   ");   // blank: skipped
            Retention r = Retention.of("text", lines, tok, CONTEXT);
            assertEquals(longOnes, r.cut(), "seed " + seed);
            assertEquals(1, r.skipped());

            // the reference: BOS + UTF-8 bytes (id 3 + b), cut to the context; every token after BOS scored
            LlamaReference ref = new LlamaReference(cfg, m.parameters());
            double sum = 0;
            long tokens = 0;
            for (String line : lines) {
                if (line.isBlank()) continue;
                byte[] b = line.getBytes(StandardCharsets.UTF_8);
                int[] seq = new int[b.length + 1];
                seq[0] = ByteTokenizer.BOS;
                for (int k = 0; k < b.length; k++) seq[k + 1] = ByteTokenizer.OFFSET + (b[k] & 0xff);
                seq = Arrays.copyOf(seq, Math.min(seq.length, CONTEXT));
                sum += ref.loss(List.of(new Example(new int[] {seq[0]}, Arrays.copyOfRange(seq, 1, seq.length))));
                tokens += seq.length - 1;
            }
            assertEquals(tokens, r.scoredTokens());
            double want = sum / tokens;
            // Each token's float32 loss differs from float64 by a few ulps of its logits (16-wide dot products, two
            // layers, a 259-term log-sum-exp: well under 1e-5 relative); the mean inherits the largest such error,
            // so 1e-4 (1 + NLL) on the mean NLL is a bound with margin, not a fit.
            double got = Math.log(r.perplexity(m));
            assertEquals(want, got, 1e-4 * (1 + want), "seed " + seed);
        }
    }
}
