package dev.sculpt.ops.cuda;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/** A borrowed JavaCPP pointer at a raw (host or device) address, for the presets' pointer arguments; owns nothing. */
final class RawPointer extends Pointer {
    RawPointer(long a) {
        address = a;
    }

    static FloatPointer floats(long address) {
        return new FloatPointer(new RawPointer(address));
    }
}
