package dev.sculpt.cem;

import dev.sculpt.SculptException;
import dev.sculpt.io.AtomicFiles;
import dev.sculpt.retention.RetentionChart;
import dev.sculpt.retention.RetentionRecord;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * metrics.png: probe, held-out and ood accuracy per round (round 0 = before the loop), and below it, when the run
 * measured retention ({@code --retain}), the perplexity on the retention text per round.
 */
public final class MetricsPlot {
    private MetricsPlot() {}

    public static void write(Path file, List<RoundMetrics> rounds) {
        write(file, rounds, null);
    }

    public static void write(Path file, List<RoundMetrics> rounds, RetentionRecord retention) {
        XYChart chart = new XYChartBuilder().width(720).height(440).title("CEM: accuracy per round")
                .xAxisTitle("round").yAxisTitle("accuracy").build();
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(1.0).setXAxisDecimalPattern("0");
        series(chart, "probe", rounds, RoundMetrics::probe);
        series(chart, "held-out", rounds, RoundMetrics::heldout);
        series(chart, "ood", rounds, RoundMetrics::ood);
        XYChart retained = retention == null ? null : RetentionChart.of("round", Map.of("perplexity", retention), 720, 360);
        try {
            if (retained == null) {
                AtomicFiles.writeBytes(file, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
                return;
            }
            BufferedImage top = BitmapEncoder.getBufferedImage(chart);
            BufferedImage bottom = BitmapEncoder.getBufferedImage(retained);
            BufferedImage all = new BufferedImage(720, top.getHeight() + bottom.getHeight(), BufferedImage.TYPE_INT_RGB);
            Graphics2D g = all.createGraphics();
            g.drawImage(top, 0, 0, null);
            g.drawImage(bottom, 0, top.getHeight(), null);
            g.dispose();
            AtomicFiles.writeStream(file, out -> ImageIO.write(all, "png", out));
        } catch (IOException e) {
            throw new SculptException("cannot render " + file + ": " + e.getMessage(), e);
        }
    }

    private static void series(XYChart chart, String name, List<RoundMetrics> rounds, Function<RoundMetrics, SetMetrics> pick) {
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (RoundMetrics r : rounds) {
            SetMetrics m = pick.apply(r);
            if (m == null) continue;
            x.add((double) r.round());
            y.add(m.accuracy());
        }
        if (!x.isEmpty()) chart.addSeries(name, x, y).setMarker(SeriesMarkers.CIRCLE);
    }
}
