package dev.sculpt.train;

import java.nio.FloatBuffer;
import java.util.List;

/** Global-norm gradient clipping over several tensors, as in torch.nn.utils.clip_grad_norm_. */
public final class GradientClipping {
    private GradientClipping() {}

    /** The L2 norm of all gradients together, accumulated in double. */
    public static double globalNorm(List<FloatBuffer> grads, List<Integer> sizes) {
        double s = 0;
        for (int t = 0; t < grads.size(); t++) {
            FloatBuffer g = grads.get(t);
            int n = sizes.get(t);
            for (int i = 0; i < n; i++) {
                double x = g.get(i);
                s += x * x;
            }
        }
        return Math.sqrt(s);
    }

    /**
     * Scales all gradients by {@code maxNorm / norm} when their global norm exceeds {@code maxNorm}
     * ({@code maxNorm <= 0} disables clipping). Returns the norm before clipping.
     */
    public static double clip(List<FloatBuffer> grads, List<Integer> sizes, double maxNorm) {
        double norm = globalNorm(grads, sizes);
        if (maxNorm > 0 && norm > maxNorm) {
            float f = (float) (maxNorm / (norm + 1e-6));
            for (int t = 0; t < grads.size(); t++) {
                FloatBuffer g = grads.get(t);
                int n = sizes.get(t);
                for (int i = 0; i < n; i++) g.put(i, g.get(i) * f);
            }
        }
        return norm;
    }
}
