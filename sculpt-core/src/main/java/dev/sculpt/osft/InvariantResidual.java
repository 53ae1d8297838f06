package dev.sculpt.osft;

/**
 * How far one matrix's change since the start of the task, {@code D = W - W0}, reaches into the protected
 * subspace: Frobenius norms of {@code U_h^T D} (left), {@code D V_h} (right) and {@code U_h^T D V_h} (block), and
 * {@code ||W||_F} at the check. The relative values divide by {@code ||W||_F} (0 when W = 0): the guard computes D's
 * products W0-free, whose float32 cancellation floor scales with {@code ||W||} (see {@link SubspaceGuard}), so
 * two-sided projection keeps all three at rounding level relative to the weights.
 *
 * <p>{@code updates} bounds the sum of the Frobenius norms of the updates the guard projected since the bases were
 * installed (Cauchy-Schwarz: {@code sqrt(T sum_t ||D_t||^2)} over T steps), and {@code bound} is the rounding-analysis
 * bound on the residual the projection mode promises (left or right for two-sided, block for high-block), from the
 * stored bases' measured departure from orthonormality ({@link SubspaceGuard}); NaN where not computed (records
 * written before the bound existed).
 */
public record InvariantResidual(String name, long step, double left, double right, double block, double weightNorm,
                                double updates, double bound) {
    /** A residual without the bound (NaN) and its update sum (0). */
    public InvariantResidual(String name, long step, double left, double right, double block, double weightNorm) {
        this(name, step, left, right, block, weightNorm, 0, Double.NaN);
    }

    public double relLeft() { return weightNorm == 0 ? 0 : left / weightNorm; }
    public double relRight() { return weightNorm == 0 ? 0 : right / weightNorm; }
    public double relBlock() { return weightNorm == 0 ? 0 : block / weightNorm; }
    /** The bound relative to {@code ||W||_F} (NaN when not computed, 0 when W = 0). */
    public double relBound() { return weightNorm == 0 ? 0 : bound / weightNorm; }
}
