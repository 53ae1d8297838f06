/**
 * LLaMA ({@code LlamaForCausalLM}) on the CPU: {@link dev.sculpt.model.llama.LlamaConfig} (config.json),
 * {@link dev.sculpt.model.llama.LlamaModel} (forward, explicit backward, KV-cached generation, Hugging Face
 * checkpoints) and {@link dev.sculpt.model.llama.LlamaFamily} (registry entry and init presets).
 *
 * <pre>{@code
 * try (LanguageModel m = Models.load(dir)) {                    // or LlamaModel.create(config, seed)
 *     for (Parameter p : m.parameters()) p.zeroGrad();
 *     LossSum l = m.forwardBackward(microBatch, 1f / tokensInStep); // adds scaled gradients
 *     // optimizer reads p.data() / p.grad() (off-heap, HF names and [out, in] layout)
 *     int[] out = m.generate(prompt, GenerationOptions.greedy(32, Set.of(tokenizer.eosId())));
 *     Models.save(m, outDir, dir);                             // config + safetensors + tokenizer files of dir
 * }
 * }</pre>
 */
package dev.sculpt.model.llama;
