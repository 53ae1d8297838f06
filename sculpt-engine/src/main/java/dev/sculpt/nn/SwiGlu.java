package dev.sculpt.nn;

/**
 * The SwiGLU gate of LLaMA's MLP, element-wise: {@code h = silu(gate) * up} with {@code silu(g) = g sigmoid(g)};
 * the projections around it are {@link Linear} layers (gate_proj, up_proj, down_proj).
 */
public final class SwiGlu {
    private SwiGlu() {}

    /** out[i] = silu(gate[i]) * up[i] for i in [0, n). */
    public static void forward(FloatArray gate, int gOff, FloatArray up, int uOff, FloatArray out, int oOff, int n) {
        Parallel.range(n, 1 << 14, (lo, hi) -> {
            int len = hi - lo;
            float[] g = new float[len];
            float[] u = new float[len];
            gate.buffer().get(gOff + lo, g, 0, len);
            up.buffer().get(uOff + lo, u, 0, len);
            for (int i = 0; i < len; i++) {
                float s = (float) (1.0 / (1.0 + Math.exp(-g[i])));
                u[i] = g[i] * s * u[i];
            }
            out.buffer().put(oOff + lo, u, 0, len);
        });
    }

    /**
     * Backward: dGate = dOut * up * silu'(gate), dUp = dOut * silu(gate). dGate may alias gate and dUp may alias
     * up (each element is read before it is written).
     */
    public static void backward(FloatArray gate, int gOff, FloatArray up, int uOff, FloatArray dOut, int dOff,
                                FloatArray dGate, int dgOff, FloatArray dUp, int duOff, int n) {
        backward(gate, gOff, up, uOff, dOut, dOff, dGate, dgOff, dUp, duOff, null, 0, n);
    }

    /**
     * As the plain backward, also writing the forward output {@code silu(gate) * up} into {@code out} (when not
     * null) from the same sigmoid: the down projection's weight gradient needs it, and recomputing it here saves
     * storing it in the forward or a second pass.
     */
    public static void backward(FloatArray gate, int gOff, FloatArray up, int uOff, FloatArray dOut, int dOff,
                                FloatArray dGate, int dgOff, FloatArray dUp, int duOff, FloatArray out, int oOff, int n) {
        Parallel.range(n, 1 << 14, (lo, hi) -> {
            int len = hi - lo;
            float[] g = new float[len];
            float[] u = new float[len];
            float[] d = new float[len];
            gate.buffer().get(gOff + lo, g, 0, len);
            up.buffer().get(uOff + lo, u, 0, len);
            dOut.buffer().get(dOff + lo, d, 0, len);
            for (int i = 0; i < len; i++) {
                float s = (float) (1.0 / (1.0 + Math.exp(-g[i])));
                float silu = g[i] * s;
                float dg = d[i] * u[i] * (s * (1f + g[i] * (1f - s)));
                float h = silu * u[i];
                u[i] = d[i] * silu;
                g[i] = dg;
                d[i] = h;
            }
            if (out != null) out.buffer().put(oOff + lo, d, 0, len);
            dGate.buffer().put(dgOff + lo, g, 0, len);
            dUp.buffer().put(duOff + lo, u, 0, len);
        });
    }
}
