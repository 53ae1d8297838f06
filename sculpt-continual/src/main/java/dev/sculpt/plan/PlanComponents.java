package dev.sculpt.plan;

/**
 * The memory-plan component a device tensor belongs to, guessed from the names the training code gives its tensors,
 * for out-of-memory messages only (nothing is decided by it):
 * <ul>
 *   <li>op scratch (no tensor), "... (update)" (the AdamW update before its projection) and the guard's invariant
 *       scratch: workspace;</li>
 *   <li>"... (gradient)": gradients; "... (adamw m)" and "... (adamw v)": adamw_state;</li>
 *   <li>"... U_h", "... V_h", "... U_h^T W0", "... W0 V_h": bases;</li>
 *   <li>a parameter's name (Hugging Face names carry no spaces) or its "... (upload)" staging copy: weights (in
 *       bf16 mode the plan calls the float32 parameters master_copy);</li>
 *   <li>the bf16 compute buffers ("... bf16 weight operand", "... bf16 activation operand", "... bf16 output
 *       gradient", engine.Bf16Compute): weights, the plan's bf16 weights;</li>
 *   <li>the KV caches of generation ("... keys N", "... values N", engine.KvCache) and the arena's decoding scratch
 *       ("... scratch.decode.*", T5's "... gen.*"): evaluation;</li>
 *   <li>anything else (the models' activation buffers): activations.</li>
 * </ul>
 */
public final class PlanComponents {
    private PlanComponents() {}

    public static String ofTensor(String name) {
        if (name == null || name.endsWith(" (update)") || name.endsWith("invariant scratch")) return "workspace";
        if (name.endsWith(" (gradient)")) return "gradients";
        if (name.endsWith(" (adamw m)") || name.endsWith(" (adamw v)")) return "adamw_state";
        if (name.endsWith(" U_h") || name.endsWith(" V_h") || name.endsWith(" U_h^T W0") || name.endsWith(" W0 V_h")) return "bases";
        if (name.endsWith(" (upload)") || !name.contains(" ")) return "weights";
        if (name.matches(".* (keys|values) [0-9]+") || name.contains(" scratch.decode.") || name.contains(" gen.")) return "evaluation";
        if (name.endsWith(" bf16 weight operand") || name.endsWith(" bf16 activation operand") || name.endsWith(" bf16 output gradient")) {
            return "weights";
        }
        return "activations";
    }
}
