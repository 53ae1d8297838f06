package dev.sculpt.osft;

/**
 * How far one matrix's change since the start of the task, {@code D = W - W0}, reaches into the protected
 * subspace: Frobenius norms of {@code U_h^T D} (left), {@code D V_h} (right) and {@code U_h^T D V_h} (block),
 * each also divided by {@code ||D||} (relative; 0 when D = 0). Two-sided projection keeps all at rounding level.
 */
public record InvariantResidual(String name, long step, double left, double right, double block, double changeNorm) {
    public double relLeft() { return changeNorm == 0 ? 0 : left / changeNorm; }
    public double relRight() { return changeNorm == 0 ? 0 : right / changeNorm; }
    public double relBlock() { return changeNorm == 0 ? 0 : block / changeNorm; }
}
