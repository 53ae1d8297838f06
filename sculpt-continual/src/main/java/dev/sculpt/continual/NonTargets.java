package dev.sculpt.continual;

import dev.sculpt.SculptException;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Parameter;
import java.util.ArrayList;
import java.util.List;

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

    /** The matrices OSFT constrains: the model's targets, plus its other trainable matrices under CONSTRAIN. */
    public List<String> constrainedNames(LanguageModel model) {
        List<String> names = new ArrayList<>(model.targetMatrixNames());
        if (this == CONSTRAIN) {
            for (Parameter p : model.parameters()) {
                if (p.isMatrix() && p.trainable() && !names.contains(p.name()) && Math.min(p.rows(), p.cols()) > 1) names.add(p.name());
            }
        }
        return names;
    }

    /**
     * Unless TRAIN, marks every trainable parameter outside {@code constrained} untrainable; returns those, for the
     * caller to make trainable again when the task or round is over.
     */
    public List<Parameter> freezeOthers(LanguageModel model, List<String> constrained) {
        List<Parameter> frozen = new ArrayList<>();
        if (this == TRAIN) return frozen;
        for (Parameter p : model.parameters()) {
            if (p.trainable() && !constrained.contains(p.name())) {
                p.trainable(false);
                frozen.add(p);
            }
        }
        return frozen;
    }

    public static NonTargets parse(String s) {
        for (NonTargets n : values()) if (n.name().equalsIgnoreCase(s.trim())) return n;
        throw new SculptException("unknown --non-targets '" + s + "' (expected train, freeze or constrain)");
    }
}
