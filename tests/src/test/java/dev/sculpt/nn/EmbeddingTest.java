package dev.sculpt.nn;

import static dev.sculpt.nn.GradCheck.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.sculpt.SculptException;
import dev.sculpt.model.Parameter;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EmbeddingTest {
    static double[] ref(double[] table, int[] ids, int dim) {
        double[] y = new double[ids.length * dim];
        for (int i = 0; i < ids.length; i++) for (int j = 0; j < dim; j++) y[i * dim + j] = table[ids[i] * dim + j];
        return y;
    }

    @Test
    void lookupAndScatterMatchFiniteDifferences() {
        Random rnd = new Random(21);
        int vocab = 6, dim = 3;
        int[] ids = {4, 1, 4, 0, 5};
        float[] tv = randn(rnd, vocab * dim, 1), rv = randn(rnd, ids.length * dim, 1);
        try (Parameter t = param("emb", tv, vocab, dim); FloatArray y = new FloatArray(ids.length * dim); FloatArray dy = FloatArray.of(rv)) {
            Embedding e = new Embedding(t);
            e.forward(ids, 0, ids.length, y, 0);
            double[] yRef = ref(toDouble(tv), ids, dim);
            for (int i = 0; i < yRef.length; i++) assertEquals((float) yRef[i], y.get(i));
            e.backward(ids, 0, ids.length, dy, 0);
            double[] r = toDouble(rv);
            checkAll("dTable", tt -> dot(ref(tt, ids, dim), r), toDouble(tv), grad(t), 1e-5);
        }
    }

    @Test
    void outOfRangeIdIsNamed() {
        try (Parameter t = param("model.embed_tokens.weight", new float[6], 3, 2); FloatArray y = new FloatArray(4)) {
            Embedding e = new Embedding(t);
            SculptException ex = assertThrows(SculptException.class, () -> e.forward(new int[]{1, 3}, 0, 2, y, 0));
            assertTrue(ex.getMessage().contains("token id 3"), ex.getMessage());
        }
    }
}
