package dev.sculpt.continual;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A chart AWT cannot draw (no fonts, no java.desktop) is a warning; anything else still fails. */
class ChartFileTest {
    @TempDir Path dir;

    @Test
    void aChartThatCannotBeDrawnIsSkippedAndOtherFailuresPropagate() throws Exception {
        Path png = dir.resolve("report.png");
        assertTrue(ChartFile.write(png, () -> {
            try {
                Files.writeString(png, "drawn");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }));
        assertTrue(Files.exists(png));
        Path other = dir.resolve("metrics.png");
        // what the H200 machine threw: no fontconfig there
        assertFalse(ChartFile.write(other, () -> { throw new RuntimeException("Fontconfig head is null, check your fonts"); }));
        assertFalse(ChartFile.write(other, () -> { throw new NoClassDefFoundError("java/awt/image/RenderedImage"); }));
        assertFalse(Files.exists(other));
        assertThrows(OutOfMemoryError.class, () -> ChartFile.write(other, () -> { throw new OutOfMemoryError("heap"); }));
    }
}
