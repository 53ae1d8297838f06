package dev.sculpt.continual;

import dev.sculpt.SculptException;

/**
 * What OSFT does with the parameters that are not target matrices (embeddings, lm_head, norms) while a subspace is
 * protected (from the second task on, or from the first with protect-initial).
 */
public enum NonTargets {
    /** They train normally, unconstrained (the published method). */
    TRAIN,
    /** They are frozen. */
    FREEZE,
    /** 2-D ones (embeddings, lm_head) get the subspace constraint too, with the same rank policy; 1-D ones are frozen. */
    CONSTRAIN;

    public static NonTargets parse(String s) {
        for (NonTargets n : values()) if (n.name().equalsIgnoreCase(s.trim())) return n;
        throw new SculptException("unknown --non-targets '" + s + "' (expected train, freeze or constrain)");
    }
}
