package dev.sculpt.cli;

import dev.sculpt.SculptException;

/** Parsing of comma-separated token id lists given on the command line. */
final class CliIds {
    private CliIds() {}

    /** "1,2,3" to ids; a clear error naming the flag and the bad item. */
    static int[] parse(String flag, String text) {
        if (text == null) return null;
        String t = text.trim();
        if (t.isEmpty()) return new int[0];
        String[] parts = t.split(",");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i].trim();
            try {
                ids[i] = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new SculptException(flag + ": '" + p + "' (item " + (i + 1) + ") is not an integer token id");
            }
            if (ids[i] < 0) throw new SculptException(flag + ": token id " + ids[i] + " (item " + (i + 1) + ") is negative");
        }
        return ids;
    }

    static String format(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            if (i > 0) sb.append(',');
            sb.append(ids[i]);
        }
        return sb.toString();
    }
}
