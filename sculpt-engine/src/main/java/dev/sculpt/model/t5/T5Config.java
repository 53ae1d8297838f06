package dev.sculpt.model.t5;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sculpt.SculptException;
import dev.sculpt.model.ConfigFields;
import dev.sculpt.model.ConfigNumbers;
import java.util.Locale;

/**
 * The fields of a Hugging Face T5 {@code config.json} ({@code T5ForConditionalGeneration}) that the model uses.
 * {@code feedForwardProj} is "relu" (T5 v1.0: wi, wo) or "gated-gelu" (v1.1 / flan: wi_0, wi_1, wo with the tanh
 * GELU approximation, "gelu_new"). Defaults follow {@code transformers.T5Config}.
 */
public record T5Config(
        int vocabSize,
        int dModel,
        int dKv,
        int dFf,
        int numLayers,
        int numDecoderLayers,
        int numHeads,
        int relativeAttentionNumBuckets,
        int relativeAttentionMaxDistance,
        String feedForwardProj,
        float layerNormEpsilon,
        boolean tieWordEmbeddings,
        int decoderStartTokenId,
        int eosTokenId,
        int padTokenId) {

    public T5Config {
        feedForwardProj = feedForwardProj == null ? "relu" : feedForwardProj.toLowerCase(Locale.ROOT);
        positive("vocab_size", vocabSize);
        positive("d_model", dModel);
        positive("d_kv", dKv);
        positive("d_ff", dFf);
        positive("num_layers", numLayers);
        positive("num_decoder_layers", numDecoderLayers);
        positive("num_heads", numHeads);
        positive("relative_attention_num_buckets", relativeAttentionNumBuckets);
        positive("relative_attention_max_distance", relativeAttentionMaxDistance);
        if (!feedForwardProj.equals("relu") && !feedForwardProj.equals("gated-gelu")) {
            throw new SculptException("config feed_forward_proj \"" + feedForwardProj
                    + "\" is not supported (expected \"relu\" or \"gated-gelu\")");
        }
        if (!(layerNormEpsilon > 0)) throw new SculptException("config layer_norm_epsilon must be > 0, got " + layerNormEpsilon);
        id("decoder_start_token_id", decoderStartTokenId, vocabSize);
        id("eos_token_id", eosTokenId, vocabSize);
        if (padTokenId != -1) id("pad_token_id", padTokenId, vocabSize);
        // the bucket formula needs max_exact >= 1 in both the bidirectional and the causal case
        if (relativeAttentionNumBuckets < 4) {
            throw new SculptException("config relative_attention_num_buckets must be >= 4, got " + relativeAttentionNumBuckets);
        }
    }

    /** True for the gated-GELU feed-forward (wi_0, wi_1, wo). */
    public boolean gated() { return feedForwardProj.equals("gated-gelu"); }

    /** Width of the attention projections, num_heads * d_kv. */
    public int innerDim() { return numHeads * dKv; }

    /**
     * Sizes for models trained from scratch. "tiny" is for tests and demos; "small" and "base" have the shapes of
     * t5-small and t5-base with the given vocabulary. v1.0 layout (relu), tied embeddings, decoder start = pad.
     */
    public static T5Config preset(String size, int vocabSize, int padId, int eosId) {
        return switch (size == null ? "" : size.toLowerCase(Locale.ROOT)) {
            case "tiny" -> new T5Config(vocabSize, 64, 16, 128, 2, 2, 4, 32, 128, "relu", 1e-6f, true, padId, eosId, padId);
            case "small" -> new T5Config(vocabSize, 512, 64, 2048, 6, 6, 8, 32, 128, "relu", 1e-6f, true, padId, eosId, padId);
            case "base" -> new T5Config(vocabSize, 768, 64, 3072, 12, 12, 12, 32, 128, "relu", 1e-6f, true, padId, eosId, padId);
            default -> throw new SculptException("unknown T5 size \"" + size + "\" (expected tiny, small or base)");
        };
    }

    /** Parses the fields of a config.json tree (through {@link ConfigFields}); {@code source} names it in errors. */
    public static T5Config fromJson(JsonNode root, String source) {
        ConfigFields c = new ConfigFields(root, source);
        String type = c.textOr("model_type", "");
        if (!type.isEmpty() && !type.equals("t5")) {
            throw new SculptException(source + ": model_type \"" + type + "\" is not t5");
        }
        int numLayers = c.intOr("num_layers", 6);
        int pad = c.idOr("pad_token_id", 0);
        return new T5Config(
                c.intOr("vocab_size", 32128),
                c.intOr("d_model", 512),
                c.intOr("d_kv", 64),
                c.intOr("d_ff", 2048),
                numLayers,
                c.intOr("num_decoder_layers", numLayers),
                c.intOr("num_heads", 8),
                c.intOr("relative_attention_num_buckets", 32),
                c.intOr("relative_attention_max_distance", 128),
                c.textOr("feed_forward_proj", "relu"),
                (float) c.doubleOr("layer_norm_epsilon", 1e-6),
                c.flagOr("tie_word_embeddings", true),
                c.idOr("decoder_start_token_id", pad),
                c.idOr("eos_token_id", 1),
                pad);
    }

    /** This config as a Hugging Face config.json tree. */
    public ObjectNode toJson() {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.putArray("architectures").add("T5ForConditionalGeneration");
        n.put("model_type", "t5");
        n.put("vocab_size", vocabSize);
        n.put("d_model", dModel);
        n.put("d_kv", dKv);
        n.put("d_ff", dFf);
        n.put("num_layers", numLayers);
        n.put("num_decoder_layers", numDecoderLayers);
        n.put("num_heads", numHeads);
        n.put("relative_attention_num_buckets", relativeAttentionNumBuckets);
        n.put("relative_attention_max_distance", relativeAttentionMaxDistance);
        n.put("feed_forward_proj", feedForwardProj);
        n.set("layer_norm_epsilon", ConfigNumbers.ofFloat(layerNormEpsilon));
        n.put("tie_word_embeddings", tieWordEmbeddings);
        n.put("decoder_start_token_id", decoderStartTokenId);
        n.put("eos_token_id", eosTokenId);
        n.put("pad_token_id", padTokenId);
        n.put("is_encoder_decoder", true);
        n.put("dropout_rate", 0.0);
        n.put("initializer_factor", 1.0);
        n.put("torch_dtype", "float32");
        return n;
    }

    private static void positive(String name, int v) {
        if (v <= 0) throw new SculptException("config " + name + " must be > 0, got " + v);
    }

    private static void id(String name, int v, int vocab) {
        if (v < 0 || v >= vocab) throw new SculptException("config " + name + " = " + v + " is outside the vocabulary [0, " + vocab + ")");
    }
}
