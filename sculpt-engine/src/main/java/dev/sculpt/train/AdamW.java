package dev.sculpt.train;

import dev.sculpt.SculptException;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter) with decoupled weight decay. It never writes weights itself:
 * {@link #update} returns the final update {@code delta = -lr * (m_hat / (sqrt(v_hat) + eps) + wd * w)}
 * so that a constraint can act on exactly what will be added ({@code w += delta}).
 * Moments are kept per tensor name, in float32, on the heap.
 */
public final class AdamW {
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private final Map<String, float[]> m = new HashMap<>();
    private final Map<String, float[]> v = new HashMap<>();
    private final Map<String, Integer> steps = new HashMap<>();

    public AdamW(float beta1, float beta2, float eps, float weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1)) throw new SculptException("AdamW beta1 must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new SculptException("AdamW beta2 must be in [0, 1), got " + beta2);
        if (!(eps > 0)) throw new SculptException("AdamW eps must be > 0, got " + eps);
        if (!(weightDecay >= 0)) throw new SculptException("weight decay must be >= 0, got " + weightDecay);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    public static AdamW defaults(float weightDecay) {
        return new AdamW(0.9f, 0.999f, 1e-8f, weightDecay);
    }

    public float weightDecay() { return weightDecay; }
    public float beta1() { return beta1; }
    public float beta2() { return beta2; }
    public float eps() { return eps; }

    /**
     * Advances the moments of tensor {@code name} with gradient {@code grad} and writes the final update into
     * {@code delta} (size elements from index 0 of each buffer). {@code decay} says whether weight decay applies
     * (usually to matrices only, not to norms and biases).
     */
    public void update(String name, FloatBuffer weights, FloatBuffer grad, FloatBuffer delta, int size, float lr, boolean decay) {
        float[] mm = m.computeIfAbsent(name, k -> new float[size]);
        float[] vv = v.computeIfAbsent(name, k -> new float[size]);
        if (mm.length != size) throw new SculptException("AdamW: tensor " + name + " changed size from " + mm.length + " to " + size);
        int t = steps.merge(name, 1, Integer::sum);
        float bc1 = (float) (1 - Math.pow(beta1, t));
        float bc2 = (float) (1 - Math.pow(beta2, t));
        float stepSize = lr / bc1;
        float invSqrtBc2 = (float) (1 / Math.sqrt(bc2));
        float wd = decay ? lr * weightDecay : 0f;
        float b1 = beta1, b2 = beta2, c1 = 1 - beta1, c2 = 1 - beta2;
        for (int i = 0; i < size; i++) {
            float g = grad.get(i);
            float mi = b1 * mm[i] + c1 * g;
            float vi = b2 * vv[i] + c2 * g * g;
            mm[i] = mi;
            vv[i] = vi;
            float d = -stepSize * mi / ((float) Math.sqrt(vi) * invSqrtBc2 + eps);
            if (wd != 0f) d -= wd * weights.get(i);
            delta.put(i, d);
        }
    }

    /**
     * Adds the moments and step count of every tensor seen so far to {@code tensors} (keys {@code prefix + "m/" +
     * name} and {@code prefix + "v/" + name}, copies) and {@code counters} ({@code prefix + "t/" + name}).
     */
    public void exportTo(String prefix, Map<String, float[]> tensors, Map<String, Integer> counters) {
        for (Map.Entry<String, Integer> e : steps.entrySet()) {
            String name = e.getKey();
            tensors.put(prefix + "m/" + name, m.get(name).clone());
            tensors.put(prefix + "v/" + name, v.get(name).clone());
            counters.put(prefix + "t/" + name, e.getValue());
        }
    }

    /**
     * Replaces all moments with those {@link #exportTo} wrote under {@code prefix}; {@code sizes} gives the tensors
     * this optimizer may hold and their sizes, and anything else, or a size that differs, is refused.
     */
    public void importFrom(String prefix, UpdaterState state, Map<String, Integer> sizes) {
        reset();
        for (Map.Entry<String, Integer> e : state.counters().entrySet()) {
            if (!e.getKey().startsWith(prefix + "t/")) continue;
            String name = e.getKey().substring(prefix.length() + 2);
            Integer size = sizes.get(name);
            if (size == null) throw new SculptException("saved optimizer state has moments for " + name + ", which this run does not train");
            float[] mm = state.tensors().get(prefix + "m/" + name);
            float[] vv = state.tensors().get(prefix + "v/" + name);
            if (mm == null || vv == null) throw new SculptException("saved optimizer state lacks the moments of " + name);
            if (mm.length != size || vv.length != size) {
                throw new SculptException("saved optimizer moments of " + name + " have " + mm.length + " values, the tensor has " + size);
            }
            if (e.getValue() < 1) throw new SculptException("saved optimizer step count of " + name + " is " + e.getValue());
            m.put(name, mm.clone());
            v.put(name, vv.clone());
            steps.put(name, e.getValue());
        }
    }

    /** Forgets all moments (a new task starts a fresh optimizer). */
    public void reset() {
        m.clear();
        v.clear();
        steps.clear();
    }
}
