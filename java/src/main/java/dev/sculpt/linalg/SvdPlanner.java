package dev.sculpt.linalg;

/** Chooses exact or randomized SVD by estimated cost. (Cost model pending: always randomized for now.) */
public final class SvdPlanner {
    private SvdPlanner() {}

    public static SvdMethod choose(int m, int n, int k, SvdOptions options) {
        return SvdMethod.RANDOMIZED;
    }
}
