package dev.sculpt.model;

/** A summed token loss and the number of tokens it covers; {@link #mean()} is the usual per-token loss. */
public record LossSum(double sum, long tokens) {
    public double mean() { return tokens == 0 ? 0 : sum / tokens; }
    public LossSum plus(LossSum o) { return new LossSum(sum + o.sum, tokens + o.tokens); }
}
