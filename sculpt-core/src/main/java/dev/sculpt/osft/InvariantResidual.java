package dev.sculpt.osft;

/**
 * How far one matrix's change since the start of the task, {@code D = W - W0}, reaches into the protected
 * subspace: Frobenius norms of {@code U_h^T D} (left), {@code D V_h} (right) and {@code U_h^T D V_h} (block), and
 * {@code ||W||_F} at the check. The relative values divide by {@code ||W||_F} (0 when W = 0): the guard computes D's
 * products W0-free, whose float32 cancellation floor scales with {@code ||W||} (see {@link SubspaceGuard}), so
 * two-sided projection keeps all three at rounding level relative to the weights.
 */
public record InvariantResidual(String name, long step, double left, double right, double block, double weightNorm) {
    public double relLeft() { return weightNorm == 0 ? 0 : left / weightNorm; }
    public double relRight() { return weightNorm == 0 ? 0 : right / weightNorm; }
    public double relBlock() { return weightNorm == 0 ? 0 : block / weightNorm; }
}
