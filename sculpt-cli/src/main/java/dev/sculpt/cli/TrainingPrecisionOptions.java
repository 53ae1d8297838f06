package dev.sculpt.cli;

import dev.sculpt.plan.Precision;
import picocli.CommandLine.Option;

/**
 * The numeric options that {@code continual} and {@code evolve} share: activation recomputation, the compute
 * precision of the projections and the storage precision of the OSFT bases. A picocli mixin, so both commands spell
 * and document them the same way.
 */
final class TrainingPrecisionOptions {
    @Option(names = "--recompute", description = "activation recomputation: keep only each layer's input in the forward and"
            + " run one layer's forward again before its backward (less activation memory, about one more forward of compute;"
            + " bit-identical results) (default: off)")
    boolean recompute;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|bf16",
            description = "fp32, or bf16: the decomposable projections (LLaMA q/k/v/o/gate/up/down, T5 q/k/v/o/wi/wo) multiply bf16"
                    + " compute copies of the fp32 master weights with bf16-rounded activations and output gradients, accumulating"
                    + " in fp32; embeddings, norms, attention, lm_head, the loss, gradients and AdamW state stay fp32 (default: ${DEFAULT-VALUE})")
    String precision;

    @Option(names = "--basis-precision", defaultValue = "fp32", paramLabel = "fp32|bf16",
            description = "OSFT protected bases U_h, V_h stored in fp32 or bf16 (half the memory; the invariant is checked against"
                    + " a rounding bound that grows with the bf16 bases' departure from orthonormality) (default: ${DEFAULT-VALUE})")
    String basisPrecision;

    /** The parsed {@code --precision}; a value other than fp32 or bf16 is refused, naming the option. */
    Precision precision() {
        return Precision.parse("--precision", precision);
    }

    /** The parsed {@code --basis-precision}. */
    Precision basisPrecision() {
        return Precision.parse("--basis-precision", basisPrecision);
    }

    /** Parses both precisions, so that a bad value fails before any work. */
    void validate() {
        precision();
        basisPrecision();
    }
}
