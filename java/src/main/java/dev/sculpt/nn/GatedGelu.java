package dev.sculpt.nn;

/**
 * The gate of T5 v1.1 / flan's feed-forward: {@code h = gelu_new(a) * b} with a = x wi_0^T and b = x wi_1^T, where
 * gelu_new is the tanh approximation {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}.
 * Element-wise over n values; backward side by side.
 */
public final class GatedGelu {
    private static final double C = Math.sqrt(2.0 / Math.PI);
    private static final double K = 0.044715;

    private GatedGelu() {}

    /** gelu_new(x). */
    public static double gelu(double x) {
        return 0.5 * x * (1.0 + Math.tanh(C * (x + K * x * x * x)));
    }

    /** d gelu_new(x) / dx. */
    public static double geluGrad(double x) {
        double t = Math.tanh(C * (x + K * x * x * x));
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * C * (1.0 + 3.0 * K * x * x);
    }

    /** h[i] = gelu_new(a[i]) * b[i] for i in [0, n) (each array at its own offset). */
    public static void forward(FloatArray a, int aOff, FloatArray b, int bOff, FloatArray h, int hOff, int n) {
        Parallel.range(n, 4096, (lo, hi) -> {
            var av = a.buffer();
            var bv = b.buffer();
            var hv = h.buffer();
            for (int i = lo; i < hi; i++) hv.put(hOff + i, (float) (gelu(av.get(aOff + i)) * bv.get(bOff + i)));
        });
    }

    /** da = dh * b * gelu'(a), db = dh * gelu(a) (both overwritten). */
    public static void backward(FloatArray a, int aOff, FloatArray b, int bOff, FloatArray dh, int dhOff,
                                FloatArray da, int daOff, FloatArray db, int dbOff, int n) {
        Parallel.range(n, 4096, (lo, hi) -> {
            var av = a.buffer();
            var bv = b.buffer();
            var g = dh.buffer();
            for (int i = lo; i < hi; i++) {
                double x = av.get(aOff + i);
                double d = g.get(dhOff + i);
                da.buffer().put(daOff + i, (float) (d * bv.get(bOff + i) * geluGrad(x)));
                db.buffer().put(dbOff + i, (float) (d * gelu(x)));
            }
        });
    }
}
