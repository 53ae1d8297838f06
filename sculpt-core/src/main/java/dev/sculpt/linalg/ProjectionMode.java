package dev.sculpt.linalg;

import dev.sculpt.SculptException;

/**
 * Which part of an update D is removed, given the protected bases U (m x k) and V (n x k).
 */
public enum ProjectionMode {
    /** {@code D - U(U^T D) - (D V)V^T + U(U^T D V)V^T}: the update leaves both row and column spaces alone. */
    TWO_SIDED,
    /** {@code D - U(U^T D)}. */
    LEFT,
    /** {@code D - (D V)V^T}. */
    RIGHT,
    /** {@code D - U(U^T D V)V^T}: removes only the high-high block (the published formula). */
    HIGH_BLOCK;

    public static ProjectionMode parse(String s) {
        String t = s.trim().toUpperCase().replace('-', '_');
        if (t.equals("TWO_SIDED") || t.equals("BOTH")) return TWO_SIDED;
        for (ProjectionMode m : values()) {
            if (m.name().equals(t)) return m;
        }
        throw new SculptException("unknown projection mode '" + s + "' (expected two-sided, left, right or high-block)");
    }
}
