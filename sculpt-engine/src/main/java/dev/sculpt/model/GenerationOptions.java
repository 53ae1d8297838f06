package dev.sculpt.model;

import dev.sculpt.SculptException;
import java.util.Set;

/**
 * Decoding settings: greedy, or sampling with temperature and nucleus (top-p) under a seed.
 * Generation stops at any of {@code stopTokens} (not included in the output) or after {@code maxNewTokens}.
 */
public record GenerationOptions(int maxNewTokens, boolean greedy, float temperature, float topP, long seed, Set<Integer> stopTokens) {
    public GenerationOptions {
        if (maxNewTokens < 0) throw new SculptException("max new tokens must be >= 0, got " + maxNewTokens);
        if (!greedy && !(temperature > 0)) throw new SculptException("temperature must be > 0, got " + temperature);
        if (!greedy && !(topP > 0 && topP <= 1)) throw new SculptException("top-p must be in (0, 1], got " + topP);
        stopTokens = stopTokens == null ? Set.of() : Set.copyOf(stopTokens);
    }

    public static GenerationOptions greedy(int maxNewTokens, Set<Integer> stopTokens) {
        return new GenerationOptions(maxNewTokens, true, 1f, 1f, 0L, stopTokens);
    }
}
