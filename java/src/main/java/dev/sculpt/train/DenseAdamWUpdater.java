package dev.sculpt.train;

import dev.sculpt.SculptException;
import dev.sculpt.model.Parameter;
import dev.sculpt.osft.UpdateConstraint;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Full fine-tuning: global-norm clipping of all trainable gradients, AdamW's final update per tensor, the
 * constraint's projection of the updates it owns, then {@code W += delta}. Weight decay applies to 2-D weights.
 */
public final class DenseAdamWUpdater implements ParameterUpdater {
    private final List<Parameter> params;
    private final AdamW adam;
    private final float clipNorm;
    private final UpdateConstraint constraint;
    private final Map<String, FloatBuffer> deltas = new LinkedHashMap<>();
    private final Map<String, FloatBuffer> constrained = new LinkedHashMap<>();

    public DenseAdamWUpdater(List<Parameter> parameters, AdamW adam, float clipNorm, UpdateConstraint constraint) {
        this.params = new ArrayList<>();
        for (Parameter p : parameters) if (p.trainable()) params.add(p);
        this.adam = adam;
        this.clipNorm = clipNorm;
        this.constraint = constraint == null ? UpdateConstraint.NONE : constraint;
        for (Parameter p : params) {
            FloatBuffer d = ByteBuffer.allocateDirect(p.size() * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
            deltas.put(p.name(), d);
            if (this.constraint.constrains(p.name())) constrained.put(p.name(), d);
        }
    }

    @Override
    public double step(float lr, long stepIndex) {
        List<FloatBuffer> grads = new ArrayList<>(params.size());
        List<Integer> sizes = new ArrayList<>(params.size());
        for (Parameter p : params) {
            grads.add(p.grad());
            sizes.add(p.size());
        }
        double norm = GradientClipping.clip(grads, sizes, clipNorm);
        for (Parameter p : params) {
            adam.update(p.name(), p.data(), p.grad(), deltas.get(p.name()), p.size(), lr, p.isMatrix());
        }
        if (!constrained.isEmpty()) constraint.project(constrained);
        for (Parameter p : params) {
            FloatBuffer w = p.data();
            FloatBuffer d = deltas.get(p.name());
            for (int i = 0, n = p.size(); i < n; i++) w.put(i, w.get(i) + d.get(i));
        }
        constraint.afterStep(stepIndex + 1);
        return norm;
    }

    private static final String ADAM = "adamw/";

    @Override
    public UpdaterState saveState() {
        Map<String, float[]> tensors = new LinkedHashMap<>();
        Map<String, Integer> counters = new LinkedHashMap<>();
        adam.exportTo(ADAM, tensors, counters);
        return new UpdaterState(tensors, counters);
    }

    @Override
    public void restoreState(UpdaterState state) {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (Parameter p : params) sizes.put(p.name(), p.size());
        for (String k : state.tensors().keySet()) {
            if (!k.startsWith(ADAM)) throw new SculptException("saved optimizer state holds " + k + ", which full fine-tuning does not use");
        }
        adam.importFrom(ADAM, state, sizes);
    }
}
