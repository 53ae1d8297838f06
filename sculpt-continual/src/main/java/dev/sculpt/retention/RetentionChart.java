package dev.sculpt.retention;

import java.util.Map;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The retention chart of {@code sculpt continual}'s report.png and {@code sculpt evolve}'s metrics.png: perplexity on
 * the retention text before training (0) and after every task or round, one series per run, on a log scale (a
 * forgetting run moves it by orders of magnitude).
 */
public final class RetentionChart {
    private RetentionChart() {}

    /** {@code step} names the x axis unit ("task", "round"); null when no record has a baseline. */
    public static XYChart of(String step, Map<String, RetentionRecord> byLabel, int width, int height) {
        XYChart c = null;
        for (Map.Entry<String, RetentionRecord> e : byLabel.entrySet()) {
            RetentionRecord r = e.getValue();
            if (r == null || r.baseline == null) continue;
            if (c == null) {
                c = new XYChartBuilder().width(width).height(height).title("retention: perplexity on " + r.file + " (lower is better)")
                        .xAxisTitle("after " + step + " (0: before training)").yAxisTitle("perplexity (log scale)").build();
                c.getStyler().setXAxisDecimalPattern("0");
                c.getStyler().setYAxisLogarithmic(true);
            }
            int n = r.perplexity.size() + 1;
            double[] x = new double[n];
            double[] y = new double[n];
            y[0] = r.baseline;
            for (int i = 1; i < n; i++) {
                x[i] = i;
                y[i] = r.perplexity.get(i - 1);
            }
            c.addSeries(e.getKey(), x, y).setMarker(SeriesMarkers.CIRCLE);
        }
        return c;
    }
}
