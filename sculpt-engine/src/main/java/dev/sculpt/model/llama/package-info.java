/**
 * LLaMA ({@code LlamaForCausalLM}) on any ops provider, wired over the blocks of {@link dev.sculpt.engine}: {@link dev.sculpt.model.llama.LlamaConfig} (config.json),
 * {@link dev.sculpt.model.llama.LlamaModel} (forward, explicit backward, KV-cached generation, Hugging Face
 * checkpoints) and {@link dev.sculpt.model.llama.LlamaFamily} (registry entry and init presets).
 *
 * <pre>{@code
 * try (LanguageModel m = Models.load(dir)) {                    // or Models.load(dir, ops), LlamaModel.create(config, seed[, ops])
 *     for (Parameter p : m.parameters()) p.zeroGrad();
 *     LossSum l = m.forwardBackward(microBatch, 1f / tokensInStep); // adds scaled gradients
 *     // optimizer works on p.value() / p.gradient() through m.ops() (HF names and [out, in] layout)
 *     int[] out = m.generate(prompt, GenerationOptions.greedy(32, Set.of(tokenizer.eosId())));
 *     Models.save(m, outDir, dir);                             // config + safetensors + tokenizer files of dir
 * }
 * }</pre>
 */
package dev.sculpt.model.llama;
