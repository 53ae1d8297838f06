package dev.sculpt.continual;

import dev.sculpt.io.AtomicFiles;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import dev.sculpt.retention.RetentionChart;
import dev.sculpt.retention.RetentionRecord;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * RUN_DIR/report.png: for each run (method), the accuracy-matrix heatmap (row: after training task i; column:
 * task j; in percent) and the per-step training loss over the whole sequence, tasks one after another; below them,
 * when the runs measured retention, one chart of their perplexity on the retention text before and after every task.
 */
public final class Report {
    private static final int W = 560;
    private static final int H = 420;

    private Report() {}

    public static void write(java.nio.file.Path png, List<RunRecord> runs) {
        System.setProperty("java.awt.headless", "true");
        List<BufferedImage> rows = new ArrayList<>();
        for (RunRecord r : runs) {
            BufferedImage heat = BitmapEncoder.getBufferedImage(heatmap(r));
            BufferedImage loss = BitmapEncoder.getBufferedImage(lossChart(r));
            BufferedImage row = new BufferedImage(W * 2, H, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = row.createGraphics();
            g.drawImage(heat, 0, 0, null);
            g.drawImage(loss, W, 0, null);
            g.dispose();
            rows.add(row);
        }
        XYChart ret = retentionChart(runs);
        if (ret != null) rows.add(BitmapEncoder.getBufferedImage(ret));
        BufferedImage all = new BufferedImage(W * 2, H * Math.max(1, rows.size()), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = all.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, all.getWidth(), all.getHeight());
        for (int i = 0; i < rows.size(); i++) g.drawImage(rows.get(i), 0, i * H, null);
        g.dispose();
        AtomicFiles.writeStream(png, out -> ImageIO.write(all, "png", out));
    }

    static HeatMapChart heatmap(RunRecord r) {
        int t = r.tasks.size();
        HeatMapChart c = new HeatMapChartBuilder().width(W).height(H)
                .title(r.method + ": accuracy (%) on task j after task i").xAxisTitle("evaluated task j").yAxisTitle("after task i").build();
        c.getStyler().setShowValue(true);
        c.getStyler().setMin(0);
        c.getStyler().setMax(100);
        c.getStyler().setLegendVisible(false);
        c.getStyler().setRangeColors(new Color[] {new Color(0xF7FBFF), new Color(0x6BAED6), new Color(0x08306B)});
        c.getStyler().setHeatMapValueDecimalPattern("0");
        List<String> xs = new ArrayList<>(r.tasks);
        List<String> ys = new ArrayList<>();
        for (int i = 0; i < t; i++) ys.add((i + 1) + ":" + r.tasks.get(i));
        List<Number[]> cells = new ArrayList<>();
        double[][] a = r.accuracyMatrix();
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < t; j++) {
                if (!Double.isNaN(a[i][j])) cells.add(new Number[] {j, i, Math.round(a[i][j] * 1000) / 10.0});
            }
        }
        if (cells.isEmpty()) cells.add(new Number[] {0, 0, 0});
        c.addSeries("accuracy", xs, ys, cells);
        return c;
    }

    /** Retention perplexity (0 = before training, i = after task i) of every run that measured it; null when none did. */
    static XYChart retentionChart(List<RunRecord> runs) {
        java.util.Map<String, RetentionRecord> byLabel = new java.util.LinkedHashMap<>();
        for (RunRecord r : runs) {
            if (r.retention == null) continue;
            String label = byLabel.containsKey(r.method) ? r.method + " (" + (byLabel.size() + 1) + ")" : r.method;
            byLabel.put(label, r.retention);
        }
        return RetentionChart.of("task", byLabel, W * 2, H);
    }

    static XYChart lossChart(RunRecord r) {
        XYChart c = new XYChartBuilder().width(W).height(H).title(r.method + ": training loss per step")
                .xAxisTitle("optimizer step (all tasks)").yAxisTitle("mean target loss").build();
        c.getStyler().setMarkerSize(0);
        int offset = 0;
        for (int i = 0; i < r.stepLosses.size(); i++) {
            List<Double> l = r.stepLosses.get(i);
            if (l.isEmpty()) continue;
            double[] x = new double[l.size()];
            double[] y = new double[l.size()];
            for (int s = 0; s < l.size(); s++) {
                x[s] = offset + s + 1;
                y[s] = l.get(s);
            }
            offset += l.size();
            c.addSeries((i + 1) + ":" + r.tasks.get(i), x, y).setMarker(SeriesMarkers.NONE);
        }
        if (offset == 0) c.addSeries("no steps yet", new double[] {0}, new double[] {0});
        return c;
    }
}
