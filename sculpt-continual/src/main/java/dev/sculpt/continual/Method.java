package dev.sculpt.continual;

import dev.sculpt.SculptException;

/** How each task is trained: OSFT (subspace-constrained full fine-tuning), plain sequential FT, or sequential LoRA. */
public enum Method {
    OSFT, SEQFT, LORA;

    public static Method parse(String s) {
        for (Method m : values()) if (m.name().equalsIgnoreCase(s.trim())) return m;
        throw new SculptException("unknown method '" + s + "' (expected osft, seqft or lora)");
    }

    public String label() { return name().toLowerCase(); }
}
