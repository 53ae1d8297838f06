package dev.sculpt.plan;

import dev.sculpt.SculptException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte counts as people write them: {@code 141G} or {@code 141GB} is 141 x 10^9 bytes (the way GPU vendors state
 * memory: an H200 has "141 GB"), {@code 80GiB} or {@code 80Gi} is 80 x 2^30; K, M, G and T likewise; a bare
 * number is bytes. Decimal fractions are allowed ({@code 1.5T}).
 */
public final class ByteSize {
    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]?)(I?)B?", Pattern.CASE_INSENSITIVE);

    private ByteSize() {}

    public static long parse(String option, String text) {
        Matcher m = text == null ? null : FORM.matcher(text.trim());
        if (m == null || !m.matches()) {
            throw new SculptException(option + " '" + text + "' is not a size (examples: 141G, 80GiB, 24000000000)");
        }
        int power = m.group(2).isEmpty() ? 0 : "KMGT".indexOf(m.group(2).toUpperCase(Locale.ROOT)) + 1;
        double base = m.group(3).isEmpty() ? 1000 : 1024;
        if (power == 0 && !m.group(3).isEmpty()) throw new SculptException(option + " '" + text + "' is not a size: 'i' needs K, M, G or T");
        double bytes = Double.parseDouble(m.group(1)) * Math.pow(base, power);
        if (!(bytes >= 1) || bytes > Long.MAX_VALUE / 2) throw new SculptException(option + " '" + text + "' is out of range");
        return Math.round(bytes);
    }

    /** "12.34 GiB" style, for tables (binary units, two decimals). */
    public static String format(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.2f %s", v, units[u]);
    }
}
