package dev.sculpt.train;

import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas.CblasTrans;
import static org.bytedeco.openblas.global.openblas.cblas_sgemm;

import dev.sculpt.SculptException;
import dev.sculpt.model.Parameter;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Sequential LoRA as a baseline, built on the dense gradient: for a target {@code W = W0 + s B A} (B: m x r, zero at
 * the start; A: r x n, Gaussian with variance 1/n; s = alpha / r) the factor gradients are
 * {@code dL/dB = s G A^T} and {@code dL/dA = s B^T G} with G = dL/dW. AdamW steps A and B and the dense weight is
 * rewritten as {@code W0 + s B A}, so the model always holds the merged weights; a new task starts new adapters
 * on top of them. Parameters that are not targets stay frozen, as usual for LoRA.
 *
 * <p>Host parameters only (the {@code cpu} provider): the adapters are OpenBLAS products over host memory. Targets on
 * a device provider are refused up front, naming the parameter and its provider.
 */
public final class LoraUpdater implements ParameterUpdater, AutoCloseable {
    private final List<Adapter> adapters = new ArrayList<>();
    private final AdamW adam;
    private final float clipNorm;
    private final float scale;

    private static final class Adapter {
        final Parameter w;
        final int m, n, r;
        final FloatPointer w0, a, b, ga, gb, da, db;

        Adapter(Parameter w, int r, Random rnd) {
            this.w = w;
            this.m = w.rows();
            this.n = w.cols();
            this.r = r;
            w0 = new FloatPointer((long) m * n);
            org.bytedeco.javacpp.Pointer.memcpy(w0, w.dataPointer(), (long) m * n * Float.BYTES);
            a = new FloatPointer((long) r * n);
            b = new FloatPointer((long) m * r);
            b.zero();
            ga = new FloatPointer((long) r * n);
            gb = new FloatPointer((long) m * r);
            da = new FloatPointer((long) r * n);
            db = new FloatPointer((long) m * r);
            double sd = 1 / Math.sqrt(n);
            FloatBuffer ab = a.asBuffer();
            for (int i = 0; i < r * n; i++) ab.put(i, (float) (rnd.nextGaussian() * sd));
        }

        void close() {
            for (FloatPointer p : new FloatPointer[] {w0, a, b, ga, gb, da, db}) p.close();
        }
    }

    public LoraUpdater(List<Parameter> targets, int rank, float alpha, AdamW adam, float clipNorm, long seed) {
        if (rank < 1) throw new SculptException("--lora-rank must be >= 1, got " + rank);
        if (!(alpha > 0)) throw new SculptException("--lora-alpha must be > 0, got " + alpha);
        this.adam = adam;
        this.clipNorm = clipNorm;
        this.scale = alpha / rank;
        requireHost(targets);
        Random rnd = new Random(seed);
        for (Parameter p : targets) {
            if (!p.isMatrix()) throw new SculptException("LoRA target " + p.name() + " is not a matrix");
            if (rank >= Math.min(p.rows(), p.cols())) {
                throw new SculptException("--lora-rank " + rank + " is not below min(m, n) of " + p);
            }
            adapters.add(new Adapter(p, rank, rnd));
        }
    }

    /** Refuses targets that do not live in host memory (LoRA runs on the cpu provider only), naming the first. */
    public static void requireHost(List<Parameter> targets) {
        for (Parameter p : targets) {
            if (!p.isHost()) {
                throw new SculptException("LoRA runs on host parameters only (--device cpu); " + p.name() + " lives on "
                        + p.value().device());
            }
        }
    }

    @Override
    public double step(float lr, long stepIndex) {
        List<FloatBuffer> grads = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        for (Adapter ad : adapters) {
            // gB = s G A^T (m x r); gA = s B^T G (r x n)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, ad.m, ad.r, ad.n, scale, ad.w.gradPointer(), ad.n, ad.a, ad.n, 0f, ad.gb, ad.r);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ad.r, ad.n, ad.m, scale, ad.b, ad.r, ad.w.gradPointer(), ad.n, 0f, ad.ga, ad.n);
            grads.add(ad.ga.asBuffer());
            sizes.add(ad.r * ad.n);
            grads.add(ad.gb.asBuffer());
            sizes.add(ad.m * ad.r);
        }
        double norm = GradientClipping.clip(grads, sizes, clipNorm);
        for (int i = 0; i < adapters.size(); i++) {
            Adapter ad = adapters.get(i);
            FloatBuffer a = ad.a.asBuffer(), b = ad.b.asBuffer(), da = ad.da.asBuffer(), db = ad.db.asBuffer();
            adam.update(ad.w.name() + ".lora_A", a, ad.ga.asBuffer(), da, ad.r * ad.n, lr, true);
            adam.update(ad.w.name() + ".lora_B", b, ad.gb.asBuffer(), db, ad.m * ad.r, lr, true);
            for (int j = 0; j < ad.r * ad.n; j++) a.put(j, a.get(j) + da.get(j));
            for (int j = 0; j < ad.m * ad.r; j++) b.put(j, b.get(j) + db.get(j));
            // W = W0 + s B A
            org.bytedeco.javacpp.Pointer.memcpy(ad.w.dataPointer(), ad.w0, (long) ad.m * ad.n * Float.BYTES);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ad.m, ad.n, ad.r, scale, ad.b, ad.r, ad.a, ad.n, 1f, ad.w.dataPointer(), ad.n);
        }
        return norm;
    }

    private static final String ADAM = "adamw/";
    private static final String FACTOR_A = "lora/A/";
    private static final String FACTOR_B = "lora/B/";

    @Override
    public UpdaterState saveState() {
        java.util.Map<String, float[]> tensors = new java.util.LinkedHashMap<>();
        java.util.Map<String, Integer> counters = new java.util.LinkedHashMap<>();
        adam.exportTo(ADAM, tensors, counters);
        for (Adapter ad : adapters) {
            float[] a = new float[ad.r * ad.n], b = new float[ad.m * ad.r];
            ad.a.get(a);
            ad.b.get(b);
            tensors.put(FACTOR_A + ad.w.name(), a);
            tensors.put(FACTOR_B + ad.w.name(), b);
        }
        return new UpdaterState(tensors, counters);
    }

    /** Restores the factors and moments; the adapters' W0 stays what it was when this updater was built. */
    @Override
    public void restoreState(UpdaterState state) {
        java.util.Map<String, Integer> sizes = new java.util.LinkedHashMap<>();
        for (Adapter ad : adapters) {
            float[] a = state.tensors().get(FACTOR_A + ad.w.name());
            float[] b = state.tensors().get(FACTOR_B + ad.w.name());
            if (a == null || b == null) throw new SculptException("saved LoRA state lacks the factors of " + ad.w.name());
            if (a.length != ad.r * ad.n || b.length != ad.m * ad.r) {
                throw new SculptException("saved LoRA factors of " + ad.w.name() + " do not have rank " + ad.r);
            }
            sizes.put(ad.w.name() + ".lora_A", ad.r * ad.n);
            sizes.put(ad.w.name() + ".lora_B", ad.m * ad.r);
        }
        int factors = 0;
        for (String k : state.tensors().keySet()) {
            if (k.startsWith(FACTOR_A) || k.startsWith(FACTOR_B)) factors++;
            else if (!k.startsWith(ADAM)) throw new SculptException("saved LoRA state holds " + k + ", which LoRA does not use");
        }
        if (factors != 2 * adapters.size()) throw new SculptException("saved LoRA state has factors for other matrices than this run's targets");
        adam.importFrom(ADAM, state, sizes);
        for (Adapter ad : adapters) {
            ad.a.put(state.tensors().get(FACTOR_A + ad.w.name()));
            ad.b.put(state.tensors().get(FACTOR_B + ad.w.name()));
        }
    }

    @Override
    public void close() {
        for (Adapter ad : adapters) ad.close();
        adapters.clear();
    }
}
