package dev.sculpt.model.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sculpt.SculptException;
import dev.sculpt.model.ConfigFields;
import dev.sculpt.model.ConfigNumbers;
import dev.sculpt.engine.RopeFrequencies;
import java.util.Arrays;

/**
 * The LLaMA hyper-parameters Sculpt reads from (and writes to) a Hugging Face {@code config.json} for
 * {@code LlamaForCausalLM}. Unsupported variants (attention or MLP biases, activations other than SiLU, unknown
 * rope scaling types) are rejected with the offending key named, rather than silently computed differently.
 *
 * @param headDim        {@code head_dim} when the config has it, else hidden_size / num_attention_heads
 * @param ropeScaling    rope_scaling object or null ("linear" and "llama3" are supported)
 * @param bosTokenId     -1 when absent
 * @param eosTokenIds    may be empty; Llama 3 configs list several
 */
public record LlamaConfig(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
                          int numAttentionHeads, int numKeyValueHeads, int headDim, double rmsNormEps,
                          double ropeTheta, JsonNode ropeScaling, int maxPositionEmbeddings,
                          boolean tieWordEmbeddings, int bosTokenId, int[] eosTokenIds, int padTokenId,
                          double initializerRange) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public LlamaConfig {
        require(vocabSize > 0, "vocab_size", vocabSize);
        require(hiddenSize > 0, "hidden_size", hiddenSize);
        require(intermediateSize > 0, "intermediate_size", intermediateSize);
        require(numHiddenLayers > 0, "num_hidden_layers", numHiddenLayers);
        require(numAttentionHeads > 0, "num_attention_heads", numAttentionHeads);
        require(numKeyValueHeads > 0 && numAttentionHeads % numKeyValueHeads == 0, "num_key_value_heads (must divide num_attention_heads)", numKeyValueHeads);
        require(headDim > 0 && headDim % 2 == 0, "head_dim (must be even)", headDim);
        require(maxPositionEmbeddings > 0, "max_position_embeddings", maxPositionEmbeddings);
        if (!(rmsNormEps > 0)) throw new SculptException("config.json: rms_norm_eps must be > 0, got " + rmsNormEps);
        if (!(ropeTheta > 0)) throw new SculptException("config.json: rope_theta must be > 0, got " + ropeTheta);
        eosTokenIds = eosTokenIds == null ? new int[0] : eosTokenIds.clone();
        if (ropeScaling != null && ropeScaling.isNull()) ropeScaling = null;
        if (ropeScaling != null) inverseFrequencies(headDim, ropeTheta, ropeScaling); // validates
    }

    private static void require(boolean ok, String key, int value) {
        if (!ok) throw new SculptException("config.json: " + key + " must be > 0, got " + value);
    }

    /** A config with the usual defaults for the rest: no rope scaling, untied, bos 1, eos 2, max 2048 positions. */
    public static LlamaConfig of(int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads) {
        return new LlamaConfig(vocab, hidden, intermediate, layers, heads, kvHeads, hidden / heads, 1e-5, 10000.0,
                null, 2048, false, 1, new int[]{2}, -1, 0.02);
    }

    public LlamaConfig withTiedEmbeddings(boolean tied) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads,
                headDim, rmsNormEps, ropeTheta, ropeScaling, maxPositionEmbeddings, tied, bosTokenId, eosTokenIds, padTokenId, initializerRange);
    }

    public LlamaConfig withSpecialTokens(int bos, int[] eos, int pad) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads,
                headDim, rmsNormEps, ropeTheta, ropeScaling, maxPositionEmbeddings, tieWordEmbeddings, bos, eos, pad, initializerRange);
    }

    public LlamaConfig withMaxPositions(int maxPositions) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads,
                headDim, rmsNormEps, ropeTheta, ropeScaling, maxPositions, tieWordEmbeddings, bosTokenId, eosTokenIds, padTokenId, initializerRange);
    }

    @Override
    public int[] eosTokenIds() { return eosTokenIds.clone(); }

    /** Width of the query projection output. */
    public int qDim() { return numAttentionHeads * headDim; }

    /** Width of the key and value projection outputs. */
    public int kvDim() { return numKeyValueHeads * headDim; }

    /** Number of parameters (lm_head counted only when untied). */
    public long parameterCount() {
        long d = hiddenSize;
        long perLayer = 2 * d + d * qDim() + 2 * d * kvDim() + (long) qDim() * d + 3 * d * intermediateSize;
        return (long) vocabSize * d * (tieWordEmbeddings ? 1 : 2) + d + numHiddenLayers * perLayer;
    }

    /** RoPE inverse frequencies after the configured scaling. */
    public float[] inverseFrequencies() {
        return inverseFrequencies(headDim, ropeTheta, ropeScaling);
    }

    private static float[] inverseFrequencies(int headDim, double theta, JsonNode scaling) {
        float[] inv = RopeFrequencies.standard(headDim, theta);
        if (scaling == null) return inv;
        String type = scaling.has("rope_type") ? scaling.get("rope_type").asText() : scaling.path("type").asText("default");
        switch (type) {
            case "default":
                return inv;
            case "linear": {
                double factor = scalingNumber(scaling, "factor");
                for (int i = 0; i < inv.length; i++) inv[i] = (float) (inv[i] / factor);
                return inv;
            }
            case "llama3": {
                double factor = scalingNumber(scaling, "factor");
                double low = scalingNumber(scaling, "low_freq_factor");
                double high = scalingNumber(scaling, "high_freq_factor");
                double oldLen = scalingNumber(scaling, "original_max_position_embeddings");
                double lowWavelen = oldLen / low;
                double highWavelen = oldLen / high;
                for (int i = 0; i < inv.length; i++) {
                    double wavelen = 2 * Math.PI / inv[i];
                    double f = wavelen > lowWavelen ? inv[i] / factor : inv[i];
                    if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
                        double smooth = (oldLen / wavelen - low) / (high - low);
                        f = (1 - smooth) * f / factor + smooth * f;
                    }
                    inv[i] = (float) f;
                }
                return inv;
            }
            default:
                throw new SculptException("config.json: rope_scaling type '" + type + "' is not supported (supported: default, linear, llama3)");
        }
    }

    private static double scalingNumber(JsonNode scaling, String key) {
        JsonNode v = scaling.get(key);
        if (v == null || !v.isNumber() || !(v.asDouble() > 0)) {
            throw new SculptException("config.json: rope_scaling." + key + " must be a positive number, got " + v);
        }
        return v.asDouble();
    }

    /** Reads a {@code LlamaForCausalLM} config.json tree (fields through {@link ConfigFields}). */
    public static LlamaConfig fromJson(JsonNode json) {
        ConfigFields c = new ConfigFields(json, "config.json");
        String act = c.textOr("hidden_act", "silu");
        if (!act.equals("silu")) throw new SculptException("config.json: hidden_act '" + act + "' is not supported for llama (only silu)");
        if (c.flagOr("attention_bias", false)) throw new SculptException("config.json: attention_bias=true is not supported for llama");
        if (c.flagOr("mlp_bias", false)) throw new SculptException("config.json: mlp_bias=true is not supported for llama");
        int hidden = c.requiredInt("hidden_size");
        int heads = c.requiredInt("num_attention_heads");
        int kv = c.intOr("num_key_value_heads", heads);
        if (!c.has("head_dim") && hidden % heads != 0) {
            throw new SculptException("config.json: hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads);
        }
        int headDim = c.intOr("head_dim", hidden / heads);
        return new LlamaConfig(c.requiredInt("vocab_size"), hidden, c.requiredInt("intermediate_size"), c.requiredInt("num_hidden_layers"),
                heads, kv, headDim, c.doubleOr("rms_norm_eps", 1e-6), c.doubleOr("rope_theta", 10000.0),
                c.raw("rope_scaling"), c.intOr("max_position_embeddings", 2048),
                c.flagOr("tie_word_embeddings", false), c.idOr("bos_token_id", -1), c.ids("eos_token_id"),
                c.idOr("pad_token_id", -1), c.doubleOr("initializer_range", 0.02));
    }

    /** The config.json tree as transformers writes it for LlamaForCausalLM. */
    public ObjectNode toJson() {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama");
        c.put("attention_bias", false);
        c.put("attention_dropout", 0.0);
        if (bosTokenId >= 0) c.put("bos_token_id", bosTokenId); else c.putNull("bos_token_id");
        if (eosTokenIds.length == 1) {
            c.put("eos_token_id", eosTokenIds[0]);
        } else if (eosTokenIds.length > 1) {
            ArrayNode a = c.putArray("eos_token_id");
            for (int id : eosTokenIds) a.add(id);
        } else {
            c.putNull("eos_token_id");
        }
        if (padTokenId >= 0) c.put("pad_token_id", padTokenId);
        c.put("head_dim", headDim);
        c.put("hidden_act", "silu");
        c.put("hidden_size", hiddenSize);
        c.set("initializer_range", ConfigNumbers.ofDouble(initializerRange));
        c.put("intermediate_size", intermediateSize);
        c.put("max_position_embeddings", maxPositionEmbeddings);
        c.put("mlp_bias", false);
        c.put("num_attention_heads", numAttentionHeads);
        c.put("num_hidden_layers", numHiddenLayers);
        c.put("num_key_value_heads", numKeyValueHeads);
        c.put("pretraining_tp", 1);
        c.set("rms_norm_eps", ConfigNumbers.ofDouble(rmsNormEps));
        if (ropeScaling != null) c.set("rope_scaling", ropeScaling.deepCopy()); else c.putNull("rope_scaling");
        c.set("rope_theta", ConfigNumbers.ofDouble(ropeTheta));
        c.put("tie_word_embeddings", tieWordEmbeddings);
        c.put("torch_dtype", "float32");
        c.put("use_cache", true);
        c.put("vocab_size", vocabSize);
        return c;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof LlamaConfig x)) return false;
        return toJson().equals(x.toJson());
    }

    @Override
    public int hashCode() { return toJson().hashCode(); }

    @Override
    public String toString() {
        return "LlamaConfig" + toJson() + " eos=" + Arrays.toString(eosTokenIds);
    }
}
