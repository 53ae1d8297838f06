package dev.sculpt.plan;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Bytes of device memory that full fine-tuning needs, by component, against the memory at hand.
 *
 * @param components   weights, master_copy, gradients, adamw_state, bases, activations, workspace (in that order), and
 *                     evaluation last when the options plan one
 * @param parameters   the model's trainable parameters
 * @param deviceMemory bytes at hand
 * @param options      the choices it was planned with
 * @param rounding     what the caching arena's block rounding adds to the plan (part of workspace, and of evaluation
 *                     for its own buffers; {@link MemoryPlanner})
 * @param taskStartExcess what the start of a task's decomposition adds to workspace beyond the training step's needs
 *                     (0 where the step's are larger): memory a device SVD backend takes in buffers of its own,
 *                     outside the ops provider's arena
 */
public record MemoryPlan(Map<String, Long> components, long parameters, long deviceMemory, PlanOptions options, long rounding,
                         long taskStartExcess) {
    public MemoryPlan {
        components = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(components));
    }

    public long totalBytes() {
        long t = 0;
        for (long v : components.values()) t = Math.addExact(t, v);
        return t;
    }

    /**
     * The most the ops provider's arena should hold at its peak: the total less the CUDA runtime's reserve (the
     * context and library handles, not arena blocks) and the task start's excess (the decomposition's own buffers).
     */
    public long arenaBytes() {
        return totalBytes() - MemoryPlanner.RUNTIME_RESERVE - taskStartExcess;
    }

    /** The components as the arena holds them: workspace less the runtime reserve and the task start's excess; they add up to {@link #arenaBytes()}. */
    public Map<String, Long> arenaComponents() {
        Map<String, Long> c = new LinkedHashMap<>(components);
        c.computeIfPresent("workspace", (k, v) -> v - MemoryPlanner.RUNTIME_RESERVE - taskStartExcess);
        return c;
    }

    public boolean fits() {
        return totalBytes() <= deviceMemory;
    }
}
