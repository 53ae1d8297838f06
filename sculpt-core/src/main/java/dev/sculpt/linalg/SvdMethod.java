package dev.sculpt.linalg;

/** How a batch's top-k singular triplets are computed. */
public enum SvdMethod {
    /** Randomized range finder (Halko, Martinsson, Tropp 2011) with CholeskyQR2. */
    RANDOMIZED,
    /** Full LAPACK gesdd on the CPU, cuSOLVER on the GPU, truncated to k. */
    EXACT,
    /** Whichever of the two {@link SvdPlanner} estimates is cheaper for the shape and k. */
    AUTO;

    public static SvdMethod parse(String s) {
        for (SvdMethod m : values()) {
            if (m.name().equalsIgnoreCase(s)) return m;
        }
        throw new dev.sculpt.SculptException("unknown SVD method '" + s + "' (expected auto, randomized or exact)");
    }
}
