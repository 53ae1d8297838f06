/**
 * The shared building blocks of the transformer engine, over an {@link dev.sculpt.ops.Ops} provider: linear
 * layers, RMS norm, embedding, attention, feed-forward, the loss head, the activation arena, packed batches, the
 * KV cache, checkpoint reading and writing by Hugging Face name, and initialisation. LLaMA and T5 are wiring over
 * these blocks, so one model runs on every provider (cpu, cuda-emulated, cuda).
 *
 * <p>Conventions (those of {@link dev.sculpt.ops.Ops}): activations are row-major [tokens, width] tensors on the
 * provider; gradients of activations are overwritten unless a method takes an {@code accumulate} flag; gradients
 * of parameters accumulate ({@code +=}) so that micro-batches add up, and a frozen parameter
 * ({@link dev.sculpt.model.Parameter#trainable()} false) receives nothing. Blocks keep what their backward needs
 * in an {@link dev.sculpt.engine.Arena} under names derived from their prefix; buffers named {@code scratch.*}
 * are shared by every block and hold nothing between calls. See /work/notes/blocks-api.md for the full contract.
 */
package dev.sculpt.engine;
