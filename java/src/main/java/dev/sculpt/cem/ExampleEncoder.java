package dev.sculpt.cem;

import dev.sculpt.model.Example;
import dev.sculpt.text.Tokenizer;
import java.util.Arrays;

/**
 * Training items to token ids. The prompt gets the tokenizer's BOS (when it has one) in front; the target is
 * the completion followed by EOS. Too long: the target is cut to {@code maxTokens - 1}, then the prompt keeps
 * its BOS and its last tokens.
 */
public final class ExampleEncoder {
    private ExampleEncoder() {}

    public static Example encode(Tokenizer tok, TrainingItem item, int maxTokens) {
        int[] prompt = withBos(tok, tok.encode(item.prompt()));
        int[] body = tok.encode(item.completion());
        int[] target = tok.eosId() >= 0 ? append(body, tok.eosId()) : body;
        if (target.length > maxTokens - 1) target = Arrays.copyOf(target, maxTokens - 1);
        int room = maxTokens - target.length;
        if (prompt.length > room) {
            int keepBos = tok.bosId() >= 0 ? 1 : 0;
            int[] cut = new int[room];
            if (keepBos == 1 && room > 0) cut[0] = prompt[0];
            System.arraycopy(prompt, prompt.length - (room - keepBos), cut, keepBos, room - keepBos);
            prompt = cut;
        }
        return new Example(prompt, target);
    }

    static int[] withBos(Tokenizer tok, int[] ids) {
        if (tok.bosId() < 0) return ids;
        int[] out = new int[ids.length + 1];
        out[0] = tok.bosId();
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    private static int[] append(int[] a, int v) {
        int[] out = Arrays.copyOf(a, a.length + 1);
        out[a.length] = v;
        return out;
    }
}
