package dev.sculpt.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sculpt.SculptException;

/**
 * The one parser of config.json fields, shared by every family, with one set of rules: an integer field must be a
 * JSON integer, a number field a JSON number, a flag a JSON boolean, a text field a JSON string; a missing or null
 * optional field takes its default; every error names the source and the key. Token id fields may be a list
 * (Llama 3 lists several end-of-sequence ids).
 */
public final class ConfigFields {
    private final JsonNode root;
    private final String source;

    public ConfigFields(JsonNode root, String source) {
        if (root == null || !root.isObject()) throw new SculptException(source + ": config is not a JSON object");
        this.root = root;
        this.source = source;
    }

    public boolean has(String key) {
        return root.hasNonNull(key);
    }

    public JsonNode raw(String key) {
        return root.get(key);
    }

    public int requiredInt(String key) {
        if (!has(key)) throw new SculptException(source + ": missing " + key);
        return integer(key, root.get(key));
    }

    public int intOr(String key, int dflt) {
        return has(key) ? integer(key, root.get(key)) : dflt;
    }

    public double doubleOr(String key, double dflt) {
        if (!has(key)) return dflt;
        JsonNode v = root.get(key);
        if (!v.isNumber()) throw new SculptException(source + ": " + key + " must be a number, got " + v);
        return v.asDouble();
    }

    public boolean flagOr(String key, boolean dflt) {
        if (!has(key)) return dflt;
        JsonNode v = root.get(key);
        if (!v.isBoolean()) throw new SculptException(source + ": " + key + " must be true or false, got " + v);
        return v.asBoolean();
    }

    public String textOr(String key, String dflt) {
        if (!has(key)) return dflt;
        JsonNode v = root.get(key);
        if (!v.isTextual()) throw new SculptException(source + ": " + key + " must be a string, got " + v);
        return v.asText();
    }

    /** A token id, or the first of a list of ids; {@code dflt} when absent or an empty list. */
    public int idOr(String key, int dflt) {
        int[] ids = ids(key);
        return ids.length == 0 ? dflt : ids[0];
    }

    /** A token id or a list of them; empty when absent. */
    public int[] ids(String key) {
        if (!has(key)) return new int[0];
        JsonNode v = root.get(key);
        if (!v.isArray()) return new int[] {integer(key, v)};
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = integer(key, v.get(i));
        return out;
    }

    private int integer(String key, JsonNode v) {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw new SculptException(source + ": " + key + " must be an integer, got " + v);
        return v.asInt();
    }
}
