/**
 * Neural-network layers shared by the LLaMA and T5 models, each with its forward and explicit backward side by
 * side (llm.c style, no autograd tape). Float32 on off-heap memory ({@link dev.sculpt.nn.FloatArray}, views of
 * {@link dev.sculpt.model.Parameter}s), matrix products through OpenBLAS ({@link dev.sculpt.nn.Blas}), element-wise
 * work in Java loops split across cores ({@link dev.sculpt.nn.Parallel}).
 *
 * <p>Conventions: activations are row-major [tokens, features] with element offsets so that a packed batch of
 * sequences, one sequence, or one head is addressed without copies; weights are Hugging Face's [out, in];
 * backward methods add weight gradients into the parameters' gradients (gradient accumulation) and either
 * overwrite or add into input gradients as their {@code accumulate} flag says. Every layer has a float64
 * finite-difference test in {@code tests/src/test/java/dev/sculpt/nn}.
 */
package dev.sculpt.nn;
