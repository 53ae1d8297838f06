package dev.sculpt.osft;

import dev.sculpt.ops.Tensor;
import java.util.Map;

/**
 * Acts on the final updates of one optimizer step before they are applied ({@code W += P(delta)}).
 * The OSFT {@code SubspaceGuard} is one; {@link #NONE} leaves updates alone. Updates are tensors of the model's ops
 * provider, each shaped like its parameter.
 */
public interface UpdateConstraint {
    UpdateConstraint NONE = new UpdateConstraint() {
        @Override public boolean constrains(String name) { return false; }
        @Override public void project(Map<String, Tensor> updates) {}
    };

    /** Whether the tensor of that name is constrained. */
    boolean constrains(String name);

    /**
     * Projects, in place, the updates of every constrained tensor present in the map (by name). An optimizer may call
     * it several times per step, each time with some of the step's updates (the dense AdamW updater passes one
     * update at a time and applies it before the next call).
     */
    void project(Map<String, Tensor> updates);

    /** Called once per step after all its updates were applied; {@code step} counts optimizer steps from 1. */
    default void afterStep(long step) {}
}
