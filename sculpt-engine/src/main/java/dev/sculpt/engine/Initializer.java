package dev.sculpt.engine;

import dev.sculpt.model.Parameter;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Random initialisation of a model's parameters on any provider: a rule gives each parameter its {@link Init};
 * parameter i (in list order) draws from the i-th {@link SplittableRandom#split()} of the seed's generator, so a
 * seed gives the same values on every provider and one parameter's rule does not shift another's draws. Values
 * are formed on the heap and copied in ({@link Parameter#copyFrom}).
 */
public final class Initializer {
    private Initializer() {}

    /** How one parameter starts. */
    public sealed interface Init permits Constant, Normal {}

    /** Every element equal to {@code value} (norm weights: 1). */
    public record Constant(float value) implements Init {}

    /** Independent N(0, std^2) draws ({@link SplittableRandom#nextGaussian()}), rounded to float32. */
    public record Normal(double std) implements Init {}

    /** Applies {@code rule} to every parameter. */
    public static void apply(List<Parameter> params, long seed, Function<Parameter, Init> rule) {
        SplittableRandom root = new SplittableRandom(seed);
        for (Parameter p : params) {
            SplittableRandom r = root.split();
            Init init = rule.apply(p);
            float[] v = new float[p.size()];
            if (init instanceof Constant c) {
                java.util.Arrays.fill(v, c.value());
            } else if (init instanceof Normal nd) {
                for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * nd.std());
            }
            p.copyFrom(v);
        }
    }
}
