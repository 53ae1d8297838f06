package dev.sculpt.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.model.ModelConfig;
import dev.sculpt.model.Models;
import dev.sculpt.model.Parameter;
import dev.sculpt.model.TrainingShape;
import dev.sculpt.model.TrainingShape.TargetGroup;
import dev.sculpt.model.t5.T5Config;
import dev.sculpt.model.t5.T5Model;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The planner's T5 shape against two independent counts: transformers' parameter count of t5-small (60,506,624:
 * {@code T5ForConditionalGeneration.from_pretrained("t5-small").num_parameters()}), and the parameter list and OSFT
 * targets of a real randomly initialised T5 of a random small shape, gated and not.
 */
class T5PlanShapeTest {
    static TrainingShape shapeOf(T5Config c) {
        ModelConfig config = ModelConfig.of(c.toJson(), "test t5 config");
        return Models.familyFor(config).trainingShape(config);
    }

    @Test
    void t5SmallHasTransformersParameterCount() {
        TrainingShape s = shapeOf(T5Config.preset("small", 32128, 0, 1));
        assertEquals(60_506_624L, s.parameters());
        assertEquals(6, s.layers());   // decoder blocks; the encoder's 6 are s.encoder()'s
        assertEquals(6, s.encoder().layers());
        // per decoder token and block: 6 d + 6 inner + 2 d_ff (ReLU) = 3072 + 3072 + 4096; the cross keys and values,
        // 2 inner, are per encoder token
        assertEquals(10_240L, s.savedPerTokenPerLayer());
    }

    @Test
    void parametersAndTargetsMatchARealModel() {
        SplittableRandom r = new SplittableRandom();
        for (String ff : new String[] {"relu", "gated-gelu"}) {
            int heads = 1 + r.nextInt(3), dKv = 4 + r.nextInt(5), d = 8 + r.nextInt(9), dff = 12 + r.nextInt(9);
            int enc = 1 + r.nextInt(3), dec = 1 + r.nextInt(3), vocab = 40 + r.nextInt(30);
            boolean tied = r.nextBoolean();
            T5Config c = new T5Config(vocab, d, dKv, dff, enc, dec, heads, 8, 20, ff, 1e-6f, tied, 0, 1, 0);
            String what = c.toString();
            TrainingShape s = shapeOf(c);
            try (T5Model m = T5Model.init(c, 1)) {
                long count = 0;
                Map<String, Integer> targets = new HashMap<>();
                for (Parameter p : m.parameters()) count += p.size();
                for (String name : m.targetMatrixNames()) {
                    Parameter p = m.parameters().stream().filter(q -> q.name().equals(name)).findFirst().orElseThrow();
                    targets.merge(p.rows() + "x" + p.cols(), 1, Integer::sum);
                }
                assertEquals(count, s.parameters(), what);
                Map<String, Integer> planned = new HashMap<>();
                for (TargetGroup g : s.targets()) planned.merge(g.rows() + "x" + g.cols(), g.count(), Integer::sum);
                assertEquals(targets, planned, what);
                assertTrue(s.savedPerTokenPerLayer() > 0);
            }
        }
    }
}
