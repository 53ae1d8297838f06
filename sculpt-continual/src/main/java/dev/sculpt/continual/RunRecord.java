package dev.sculpt.continual;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.sculpt.retention.RetentionRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a continual run has measured so far; written after every task as RUN_DIR/state.json (to resume)
 * and RUN_DIR/metrics.json. Accuracy rows have one entry per task, null where not evaluated.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public final class RunRecord {
    public String method;
    public List<String> tasks = new ArrayList<>();
    public Map<String, String> options = new LinkedHashMap<>();
    public int completedTasks;
    /** The initial model's accuracy and loss on every task (for FWT). */
    public List<Double> initialAccuracy = new ArrayList<>();
    public List<Double> initialLoss = new ArrayList<>();
    /** accuracy.get(i).get(j): task j after training task i. */
    public List<List<Double>> accuracy = new ArrayList<>();
    public List<List<Double>> testLoss = new ArrayList<>();
    /** Mean target loss of every optimizer step, per task. */
    public List<List<Double>> stepLosses = new ArrayList<>();
    /** Preserved rank per target matrix, per task (OSFT). */
    public List<Map<String, Integer>> ranks = new ArrayList<>();
    /** Invariant checks per task (OSFT). */
    public List<TaskResiduals> residuals = new ArrayList<>();
    public List<String> checkpoints = new ArrayList<>();
    public List<Double> trainSeconds = new ArrayList<>();
    public List<String> notes = new ArrayList<>();
    public Double averageAccuracy;
    public Double backwardTransfer;
    public Double forwardTransfer;
    /** Perplexity on the --retain text before training and after every task; absent without --retain. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public RetentionRecord retention;
    public String fwtFormula = "FWT = mean_{j=2..T} (a[j-1][j] - b[j]), b = initial model's accuracy";

    /** Residuals of one task: the largest relative values over all checks and matrices, and every check's maxima. */
    public static final class TaskResiduals {
        public double maxRelLeft;
        public double maxRelRight;
        public double maxRelBlock;
        /**
         * The largest rounding bound (relative to ||W||_F) recorded with the checks on the residual the projection
         * mode promises, and whether every check stayed within its bound (dev.sculpt.osft.SubspaceGuard's class comment).
         */
        public double maxRelBound;
        public boolean withinBound = true;
        public List<Check> checks = new ArrayList<>();
        /** Final absolute residuals per matrix: [left, right, block, ||W||_F]. */
        public Map<String, double[]> finalPerMatrix = new LinkedHashMap<>();
    }

    public static final class Check {
        public long step;
        public double maxRelLeft;
        public double maxRelRight;
        public double maxRelBlock;
        public double maxRelBound;

        public Check() {}

        public Check(long step, double l, double r, double b) {
            this.step = step;
            this.maxRelLeft = l;
            this.maxRelRight = r;
            this.maxRelBlock = b;
        }
    }

    /** The accuracy matrix as T x T doubles (NaN where not evaluated). */
    public double[][] accuracyMatrix() {
        int t = tasks.size();
        double[][] a = new double[t][t];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < t; j++) {
                Double v = i < accuracy.size() ? accuracy.get(i).get(j) : null;
                a[i][j] = v == null ? Double.NaN : v;
            }
        }
        return a;
    }
}
