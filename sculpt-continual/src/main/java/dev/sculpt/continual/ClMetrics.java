package dev.sculpt.continual;

import dev.sculpt.SculptException;

/**
 * Continual-learning metrics over an accuracy matrix {@code a[i][j]}: accuracy on task j after training tasks
 * 0..i (0-based here; the formulas below use 1-based T as in the literature). Entries not evaluated are NaN.
 * <ul>
 * <li>AA = mean_j a[T][j], the average accuracy after the last task;</li>
 * <li>BWT = mean_{j<T} (a[T][j] - a[j][j]), backward transfer (negative = forgetting);</li>
 * <li>FWT = mean_{j>1} (a[j-1][j] - b[j]) with b[j] the initial model's accuracy on task j: how much the earlier
 * tasks helped task j before it was trained (Lopez-Paz and Ranzato, GEM, 2017).</li>
 * </ul>
 */
public final class ClMetrics {
    private ClMetrics() {}

    public static double averageAccuracy(double[][] a) {
        int t = square(a);
        double s = 0;
        for (int j = 0; j < t; j++) s += val(a, t - 1, j);
        return s / t;
    }

    /** NaN when there is a single task. */
    public static double backwardTransfer(double[][] a) {
        int t = square(a);
        if (t < 2) return Double.NaN;
        double s = 0;
        for (int j = 0; j < t - 1; j++) s += val(a, t - 1, j) - val(a, j, j);
        return s / (t - 1);
    }

    /** NaN when there is a single task. {@code initial[j]} is the untrained model's accuracy on task j. */
    public static double forwardTransfer(double[][] a, double[] initial) {
        int t = square(a);
        if (initial.length != t) throw new SculptException("initial accuracies: expected " + t + ", got " + initial.length);
        if (t < 2) return Double.NaN;
        double s = 0;
        for (int j = 1; j < t; j++) {
            if (Double.isNaN(initial[j])) throw new SculptException("initial accuracy of task " + j + " was not evaluated");
            s += val(a, j - 1, j) - initial[j];
        }
        return s / (t - 1);
    }

    private static int square(double[][] a) {
        int t = a.length;
        if (t == 0) throw new SculptException("empty accuracy matrix");
        for (double[] row : a) if (row.length != t) throw new SculptException("accuracy matrix must be T x T, got a row of " + row.length + " for T = " + t);
        return t;
    }

    private static double val(double[][] a, int i, int j) {
        double v = a[i][j];
        if (Double.isNaN(v)) throw new SculptException("accuracy of task " + j + " after task " + i + " was not evaluated");
        return v;
    }
}
