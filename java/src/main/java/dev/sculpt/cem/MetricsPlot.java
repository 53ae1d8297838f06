package dev.sculpt.cem;

import dev.sculpt.SculptException;
import dev.sculpt.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** metrics.png: probe, held-out and ood accuracy per round (round 0 = before the loop). */
public final class MetricsPlot {
    private MetricsPlot() {}

    public static void write(Path file, List<RoundMetrics> rounds) {
        XYChart chart = new XYChartBuilder().width(720).height(440).title("CEM: accuracy per round")
                .xAxisTitle("round").yAxisTitle("accuracy").build();
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(1.0).setXAxisDecimalPattern("0");
        series(chart, "probe", rounds, RoundMetrics::probe);
        series(chart, "held-out", rounds, RoundMetrics::heldout);
        series(chart, "ood", rounds, RoundMetrics::ood);
        try {
            AtomicFiles.writeBytes(file, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
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
