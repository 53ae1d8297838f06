package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backends;
import dev.sculpt.continual.Method;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.model.Example;
import dev.sculpt.model.Parameter;
import dev.sculpt.model.llama.LlamaConfig;
import dev.sculpt.model.llama.LlamaModel;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.text.ByteTokenizer;
import dev.sculpt.train.TrainConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.openblas.global.openblas;
import org.junit.jupiter.api.Test;

class ContinualRoundTrainerTest {
    private static List<Example> examples(ByteTokenizer tok, long seed) {
        java.util.Random r = new java.util.Random(seed);
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            TrainingItem t = new TrainingItem("review", "Fact " + r.nextInt(100) + ":", " value " + r.nextInt(100), null, null, 1);
            out.add(ExampleEncoder.encode(tok, t, 64));
        }
        return out;
    }

    @Test
    void osftKeepsTheProtectedSubspaceAndSeqftMovesFreely() {
        ByteTokenizer tok = new ByteTokenizer();
        LlamaConfig cfg = LlamaConfig.of(tok.vocabSize(), 32, 64, 2, 2, 2).withSpecialTokens(tok.bosId(), new int[] {tok.eosId()}, tok.padId());
        TrainConfig tc = TrainConfig.defaults().withLr(3e-3f).withEpochs(2).withBatchSize(4).withSeed(5);
        try (LlamaModel model = LlamaModel.create(cfg, 17)) {
            String q = "model.layers.1.self_attn.q_proj.weight";
            float[] before = model.parameter(q).toArray();
            ContinualRoundTrainer osft = new ContinualRoundTrainer(Method.OSFT, tc, RankPolicy.ratio(0.5), ProjectionMode.TWO_SIDED,
                    Backends.cpu(), 2, 8);
            RoundTrainer.TrainSummary s = osft.train(model, examples(tok, 1), 1);
            assertEquals(6, s.steps());
            assertTrue(s.lastLoss() < s.firstLoss(), s.toString());
            Map<String, Integer> ranks = osft.ranksPerRound().get(0);
            assertEquals(model.targetMatrixNames().size(), ranks.size());
            assertEquals(16, ranks.get(q), "half of min(32, 32)");
            assertTrue(osft.maxResiduals().get(0) < 1e-3, "invariant at rounding level: " + osft.maxResiduals());
            float[] after = model.parameter(q).toArray();
            // independent check in float64: the top-16 singular directions of W0 (LAPACK dgesdd) see no change
            int n = 32, k = 16;
            double[] a = new double[n * n];
            double[] d = new double[n * n];
            for (int i = 0; i < a.length; i++) {
                a[i] = before[i];
                d[i] = (double) after[i] - before[i];
            }
            double[] sv = new double[n], u = new double[n * n], vt = new double[n * n];
            assertEquals(0, openblas.LAPACKE_dgesdd(openblas.LAPACK_ROW_MAJOR, (byte) 'A', n, n, a, n, sv, u, n, vt, n));
            double dn = 0, left = 0, both = 0;
            for (double x : d) dn += x * x;
            for (int c = 0; c < k; c++) {
                for (int j = 0; j < n; j++) {          // (U_h^T D)[c][j]
                    double acc = 0;
                    for (int i = 0; i < n; i++) acc += u[i * n + c] * d[i * n + j];
                    left += acc * acc;
                }
                for (int c2 = 0; c2 < k; c2++) {       // (U_h^T D V_h)[c][c2]
                    double acc = 0;
                    for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) acc += u[i * n + c] * d[i * n + j] * vt[c2 * n + j];
                    both += acc * acc;
                }
            }
            assertTrue(dn > 1e-10, "the complement still trains");
            assertTrue(Math.sqrt(left / dn) < 2e-3, "||U_h^T dW|| / ||dW|| = " + Math.sqrt(left / dn));
            assertTrue(Math.sqrt(both / dn) < 2e-3, "||U_h^T dW V_h|| / ||dW|| = " + Math.sqrt(both / dn));

            ContinualRoundTrainer seqft = new ContinualRoundTrainer(Method.SEQFT, tc, RankPolicy.importance(), ProjectionMode.TWO_SIDED,
                    Backends.cpu(), 2, 8);
            RoundTrainer.TrainSummary s2 = seqft.train(model, examples(tok, 2), 2);
            assertEquals(6, s2.steps());
            assertTrue(seqft.ranksPerRound().isEmpty());
            for (Parameter p : model.parameters()) for (int i = 0; i < p.size(); i++) assertTrue(Float.isFinite(p.data().get(i)));
        }
        assertThrows(SculptException.class, () -> new ContinualRoundTrainer(Method.LORA, tc, RankPolicy.importance(),
                ProjectionMode.TWO_SIDED, Backends.cpu(), 1, 8));
    }
}
