/**
 * The ops provider: a device-agnostic {@link dev.sculpt.ops.Tensor} and one {@link dev.sculpt.ops.Ops} interface
 * for every training op (gemm, norms, RoPE, attention, activations, embedding, loss, AdamW, OSFT projection,
 * reductions), each forward beside its backward, with one implementation per device: {@code ops.cpu}, and
 * {@code ops.cuda} (the cuda-emulated provider: the engine's CUDA kernels built for the host).
 * Models are not yet wired onto it (issue 14, item 2).
 */
package dev.sculpt.ops;
