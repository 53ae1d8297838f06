package dev.sculpt.retention;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code "retention"} entry of metrics.json: the text file's name, the perplexity before training
 * ({@code baseline}) and after every task or round, in order ({@code perplexity}).
 */
@JsonPropertyOrder({"file", "baseline", "perplexity"})
public final class RetentionRecord {
    public String file;
    public Double baseline;
    public List<Double> perplexity = new ArrayList<>();

    public RetentionRecord() {}

    public RetentionRecord(String file, double baseline) {
        this.file = file;
        this.baseline = baseline;
    }

    /** The last measured perplexity (the baseline before any task or round). */
    public double last() {
        return perplexity.isEmpty() ? baseline : perplexity.get(perplexity.size() - 1);
    }

    /** "P0 -> P1, P2, ..." with two decimals. */
    public String summary() {
        StringBuilder sb = new StringBuilder(String.format(java.util.Locale.ROOT, "%.2f ->", baseline));
        for (int i = 0; i < perplexity.size(); i++) sb.append(i == 0 ? " " : ", ").append(String.format(java.util.Locale.ROOT, "%.2f", perplexity.get(i)));
        return sb.toString();
    }
}
