package dev.sculpt.tensor;

/** Where a buffer's floats live. */
public enum Device {
    HOST,
    CUDA
}
