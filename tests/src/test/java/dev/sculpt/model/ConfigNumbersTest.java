package dev.sculpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.model.llama.LlamaFamily;
import dev.sculpt.model.t5.T5Config;
import dev.sculpt.model.t5.T5Model;
import dev.sculpt.text.ByteTokenizer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json floats are the shortest decimal that reads back as the stored number. */
class ConfigNumbersTest {
    @TempDir Path tmp;

    @Test
    void valuesAsTransformersWritesThem() {
        assertEquals("0.000001", ConfigNumbers.ofFloat(1e-6f).toString());
        assertEquals("0.00001", ConfigNumbers.ofDouble(1e-5).toString());
        assertEquals("1E-7", ConfigNumbers.ofFloat(1e-7f).toString());
        assertEquals("10000.0", ConfigNumbers.ofDouble(10000.0).toString());
        assertEquals("500000.0", ConfigNumbers.ofDouble(5e5).toString());
        assertEquals("0.02", ConfigNumbers.ofDouble(0.02).toString());
        assertEquals("0.1", ConfigNumbers.ofFloat(0.1f).toString());
        assertEquals("0.0", ConfigNumbers.ofDouble(0).toString());
        // Java 17's Float.toString gives 9 digits here, one more than needed
        assertEquals(8, digits(ConfigNumbers.ofFloat(1.1884683E13f).toString()));
    }

    /** Random float bit patterns: each reads back exactly, and no decimal with one digit less lies in its interval. */
    @Test
    void randomFloatsAreShortestAndReadBack() {
        SplittableRandom r = new SplittableRandom();
        for (int i = 0; i < 20_000; i++) {
            float v = Float.intBitsToFloat(r.nextInt());
            if (!Float.isFinite(v) || v == 0) continue;
            String s = ConfigNumbers.ofFloat(v).toString();
            assertEquals(v, Float.parseFloat(s), s);
            assertFalse(shorterExists(v, Math.nextDown(v), Math.nextUp(v), digits(s)), v + " written as " + s);
        }
        for (int i = 0; i < 20_000; i++) {
            double v = Double.longBitsToDouble(r.nextLong());
            if (!Double.isFinite(v) || v == 0) continue;
            String s = ConfigNumbers.ofDouble(v).toString();
            assertEquals(v, Double.parseDouble(s), s);
            assertFalse(shorterExists(v, Math.nextDown(v), Math.nextUp(v), digits(s)), v + " written as " + s);
        }
    }

    /** T5's float32 epsilon in the config.json that a saved model has (the 9.999999974752427E-7). */
    @Test
    void savedT5AndLlamaConfigsHoldShortDecimals() throws Exception {
        Path t5 = tmp.resolve("t5");
        try (T5Model m = T5Model.init(T5Config.preset("tiny", 64, 0, 1), 3)) {
            Models.save(m, t5, Map.of());
        }
        String text = Files.readString(t5.resolve("config.json"));
        assertTrue(number(text, "layer_norm_epsilon").equals("0.000001"), text);
        assertEquals(1e-6f, (float) new ObjectMapper().readTree(text).path("layer_norm_epsilon").asDouble());

        Path llama = tmp.resolve("llama");
        try (LanguageModel m = new LlamaFamily().init("tiny", new ByteTokenizer(), 3)) {
            Models.save(m, llama, Map.of());
        }
        String ltext = Files.readString(llama.resolve("config.json"));
        assertEquals("0.00001", number(ltext, "rms_norm_eps"));
        assertEquals("10000.0", number(ltext, "rope_theta"));
        assertEquals("0.02", number(ltext, "initializer_range"));
    }

    private static String number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*([-0-9.eE+]+)").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        return m.group(1);
    }

    private static int digits(String decimal) {
        return new BigDecimal(decimal).stripTrailingZeros().precision();
    }

    /**
     * Whether a decimal of fewer than {@code digits} significant digits lies strictly between the midpoints to the
     * neighbours {@code below} and {@code above} of {@code v} (every such decimal reads back as v).
     */
    private static boolean shorterExists(double v, double below, double above, int digits) {
        if (digits <= 1) return false;
        BigDecimal x = new BigDecimal(v);
        BigDecimal lo = x.add(new BigDecimal(below)).divide(BigDecimal.valueOf(2));
        BigDecimal hi = x.add(new BigDecimal(above)).divide(BigDecimal.valueOf(2));
        if (lo.compareTo(hi) > 0) { BigDecimal t = lo; lo = hi; hi = t; }
        int order = x.precision() - x.scale() - 1;   // decimal exponent of the leading digit of |v|
        for (int e = order; e <= order + 1; e++) {
            BigDecimal quantum = BigDecimal.ONE.scaleByPowerOfTen(e - (digits - 1) + 1);
            BigDecimal candidate = lo.divide(quantum, 0, RoundingMode.CEILING).multiply(quantum);
            if (candidate.compareTo(lo) > 0 && candidate.compareTo(hi) < 0 && candidate.signum() != 0) return true;
        }
        return false;
    }
}
