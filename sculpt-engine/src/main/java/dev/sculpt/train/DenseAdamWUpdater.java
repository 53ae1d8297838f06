package dev.sculpt.train;

import dev.sculpt.SculptException;
import dev.sculpt.model.Parameter;
import dev.sculpt.ops.AdamWStep;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.ScalarSums;
import dev.sculpt.ops.Tensor;
import dev.sculpt.osft.UpdateConstraint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Full fine-tuning on the model's ops provider: global-norm clipping of all trainable gradients, then tensor by
 * tensor AdamW's final update ({@link Ops#adamwUpdate} into a delta tensor), the constraint's projection of it when
 * the constraint owns the tensor, and {@code W += delta} ({@link Ops#axpy}). Weight decay applies to 2-D weights.
 * The AdamW moments are tensors of the same provider, allocated at a tensor's first step.
 *
 * <p>The delta tensors: one per distinct parameter shape, shared by all parameters of that shape (a LLaMA's 32
 * q_proj weights use one), because each tensor's update is applied before the next is computed. Every tensor's
 * arithmetic is its own (clipping, AdamW, projection and the axpy read and write only that tensor's gradient,
 * moments, weight and delta), so the order tensor by tensor gives the same bits as all clips, then all updates,
 * then all projections, then all axpys; the constraint sees one update per call ({@link UpdateConstraint#project}).
 *
 * <p>On the {@code cpu} provider every step is bit for bit the host arithmetic of {@link AdamW} and
 * {@link GradientClipping}: the clipped gradient is computed as {@code 0 + f g} (equal to {@code g f} but for the sign
 * of a zero, which AdamW's moments cannot see), AdamW's scalars are those of {@link AdamWStep}, and
 * {@code w + 1 * d} is {@code w + d}. The gradient norm is summed per tensor in double and then over tensors, so it
 * can differ from {@link GradientClipping#globalNorm}'s single running sum in the last bits of the double.
 *
 * <p>A gradient holding NaN or infinite values stops training before any weight changes, naming the parameter.
 *
 * <p>Device-to-host traffic of a step: the squared gradient norm is added up where the provider computes
 * ({@link Ops#scalarSums}, the same double additions in the same order as reading each tensor's sum back) and read
 * back as one double, which is also the non-finite flag (a NaN or infinite gradient makes it non-finite) and from
 * which the host decides the clip factor. Only a failed step reads more (each gradient's non-finite count, to name
 * the culprit); the constraint's own reads are its business ({@link dev.sculpt.osft.SubspaceGuard} reads its
 * invariant residuals on its check steps only).
 */
public final class DenseAdamWUpdater implements ParameterUpdater {
    private static final String ADAM = "adamw/";

    private final Ops ops;
    private final List<Parameter> params;
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private final float clipNorm;
    private final UpdateConstraint constraint;
    private final Map<List<Integer>, Tensor> deltaByShape = new LinkedHashMap<>();
    private final Tensor[] deltas;   // deltas[i]: the delta tensor of params[i]'s shape
    private final boolean[] constrains;
    private final Tensor[] m;
    private final Tensor[] v;
    private final long[] steps;
    private ScalarSums gradSquares;   // slot 0: sum of all trainable gradients' squares

    /**
     * An updater of the trainable {@code parameters} (all on {@code ops}' device) with the hyper-parameters of
     * {@code adam} (its own heap moments are not used) and the constraint (null: none).
     */
    public DenseAdamWUpdater(Ops ops, List<Parameter> parameters, AdamW adam, float clipNorm, UpdateConstraint constraint) {
        this.ops = ops;
        this.params = new ArrayList<>();
        for (Parameter p : parameters) {
            if (!p.trainable()) continue;
            if (p.value().device() != ops.device()) {
                throw new SculptException("parameter " + p.name() + " lives on " + p.value().device()
                        + ", but the optimizer runs on provider " + ops.name() + " (" + ops.device() + ")");
            }
            params.add(p);
        }
        this.beta1 = adam.beta1();
        this.beta2 = adam.beta2();
        this.eps = adam.eps();
        this.weightDecay = adam.weightDecay();
        this.clipNorm = clipNorm;
        this.constraint = constraint == null ? UpdateConstraint.NONE : constraint;
        int n = params.size();
        deltas = new Tensor[n];
        constrains = new boolean[n];
        m = new Tensor[n];
        v = new Tensor[n];
        steps = new long[n];
        try {
            gradSquares = ops.scalarSums("gradient sum of squares", 1);
            for (int i = 0; i < n; i++) {
                Parameter p = params.get(i);
                List<Integer> shape = shapeKey(p.shape());
                Tensor d = deltaByShape.get(shape);
                if (d == null) {
                    d = ops.allocate("parameters of shape " + shape + " (update)", p.shape());
                    deltaByShape.put(shape, d);
                }
                deltas[i] = d;
                constrains[i] = this.constraint.constrains(p.name());
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public double step(float lr, long stepIndex) {
        gradSquares.reset();
        for (Parameter p : params) gradSquares.addSumOfSquares(0, p.gradient());
        double norm = Math.sqrt(gradSquares.read()[0]);   // the step's one read: norm and non-finite flag
        if (!Double.isFinite(norm)) throw diverged(stepIndex);
        boolean clip = clipNorm > 0 && norm > clipNorm;
        float f = clip ? (float) (clipNorm / (norm + 1e-6)) : 1f;
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            Tensor g = p.gradient();
            Tensor d = deltas[i];
            if (clip) {
                ops.copy(g, d);     // the delta tensor is free until AdamW writes it
                ops.zero(g);
                ops.axpy(f, d, g);  // g = 0 + f g
            }
            if (m[i] == null) {
                m[i] = ops.allocate(p.name() + " (adamw m)", p.shape());
                v[i] = ops.allocate(p.name() + " (adamw v)", p.shape());
            }
            AdamWStep s = new AdamWStep(lr, beta1, beta2, eps, p.isMatrix() ? weightDecay : 0f, ++steps[i]);
            ops.adamwUpdate(p.value(), g, m[i], v[i], d, s);
            if (constrains[i]) constraint.project(Map.of(p.name(), d));
            ops.axpy(1f, d, p.value());   // applied before the next tensor of this shape reuses d
        }
        constraint.afterStep(stepIndex + 1);
        return norm;
    }

    private SculptException diverged(long stepIndex) {
        for (Parameter p : params) {
            long bad = ops.nonFiniteCount(p.gradient());
            if (bad > 0) {
                return new SculptException("training diverged at step " + (stepIndex + 1) + ": the gradient of "
                        + p.name() + " has " + bad + " NaN or infinite values (no weight was changed)");
            }
        }
        return new SculptException("training diverged at step " + (stepIndex + 1) + ": the gradient norm is not finite");
    }

    @Override
    public UpdaterState saveState() {
        Map<String, float[]> tensors = new LinkedHashMap<>();
        Map<String, Integer> counters = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            if (steps[i] == 0) continue;
            String name = params.get(i).name();
            tensors.put(ADAM + "m/" + name, hostCopy(m[i]));
            tensors.put(ADAM + "v/" + name, hostCopy(v[i]));
            counters.put(ADAM + "t/" + name, Math.toIntExact(steps[i]));
        }
        return new UpdaterState(tensors, counters);
    }

    private float[] hostCopy(Tensor t) {
        try (Tensor h = ops.download(t, t.name() + " (saved)")) {
            return h.toArray();
        }
    }

    @Override
    public void restoreState(UpdaterState state) {
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) index.put(params.get(i).name(), i);
        for (String k : state.tensors().keySet()) {
            if (!k.startsWith(ADAM)) throw new SculptException("saved optimizer state holds " + k + ", which full fine-tuning does not use");
        }
        // check everything before changing anything
        Map<Integer, Integer> restored = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> e : state.counters().entrySet()) {
            if (!e.getKey().startsWith(ADAM + "t/")) continue;
            String name = e.getKey().substring(ADAM.length() + 2);
            Integer i = index.get(name);
            if (i == null) throw new SculptException("saved optimizer state has moments for " + name + ", which this run does not train");
            float[] mm = state.tensors().get(ADAM + "m/" + name);
            float[] vv = state.tensors().get(ADAM + "v/" + name);
            if (mm == null || vv == null) throw new SculptException("saved optimizer state lacks the moments of " + name);
            int size = params.get(i).size();
            if (mm.length != size || vv.length != size) {
                throw new SculptException("saved optimizer moments of " + name + " have " + mm.length + " values, the tensor has " + size);
            }
            if (e.getValue() < 1) throw new SculptException("saved optimizer step count of " + name + " is " + e.getValue());
            restored.put(i, e.getValue());
        }
        freeMoments();
        for (Map.Entry<Integer, Integer> e : restored.entrySet()) {
            int i = e.getKey();
            Parameter p = params.get(i);
            m[i] = upload(state.tensors().get(ADAM + "m/" + p.name()), p, " (adamw m)");
            v[i] = upload(state.tensors().get(ADAM + "v/" + p.name()), p, " (adamw v)");
            steps[i] = e.getValue();
        }
    }

    private Tensor upload(float[] values, Parameter p, String what) {
        try (Tensor h = Tensor.ofHost(p.name() + what + " (restored)", values, p.shape())) {
            return ops.upload(h, p.name() + what);
        }
    }

    private void freeMoments() {
        for (int i = 0; i < params.size(); i++) {
            if (m[i] != null) m[i].close();
            if (v[i] != null) v[i].close();
            m[i] = v[i] = null;
            steps[i] = 0;
        }
    }

    /** The key of a shape: its dimensions as a list (equal shapes, equal keys). */
    private static List<Integer> shapeKey(int[] shape) {
        List<Integer> k = new ArrayList<>(shape.length);
        for (int d : shape) k.add(d);
        return List.copyOf(k);
    }

    /** The distinct parameter shapes, one delta tensor each (tests). */
    int deltaTensors() {
        return deltaByShape.size();
    }

    /** Frees the moments and update tensors. */
    @Override
    public void close() {
        freeMoments();
        for (Tensor d : deltaByShape.values()) d.close();
        deltaByShape.clear();
        if (gradSquares != null) gradSquares.close();
        gradSquares = null;
    }
}
