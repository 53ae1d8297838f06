package dev.sculpt.continual;

import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Draws a run's chart (report.png, metrics.png) without letting the chart stop the run. Charts need AWT's font
 * machinery: a headless server without fonts (the H200 machine this project is tested on has none: "Fontconfig head
 * is null") or a runtime without the java.desktop module cannot draw them. metrics.json, the checkpoints and the
 * resume state are the run's results, so there a chart that cannot be drawn is a warning naming the file and the
 * cause, not a failure.
 */
public final class ChartFile {
    private static final Logger LOG = LoggerFactory.getLogger(ChartFile.class);

    private ChartFile() {}

    /** Runs {@code draw} (which writes {@code png} atomically); true if it did, false with a warning if AWT could not. */
    public static boolean write(Path png, Runnable draw) {
        try {
            draw.run();
            return true;
        } catch (RuntimeException | LinkageError e) {   // no AWT type here: java.desktop may be absent
            LOG.warn("{} not written: charts cannot be drawn here ({}); the run's results are in metrics.json", png, e.toString());
            return false;
        }
    }
}
