package dev.sculpt.ops.cuda;

/**
 * Host-device copies a {@link CudaOps} provider made through its runtime since it was created: calls and bytes of
 * device-to-host copies ({@code toHost*}: downloads and every value read back) and of host-to-device copies
 * ({@code toDevice*}: uploads, token ids, RoPE frequencies). Device-to-device copies are not transfers.
 */
public record Transfers(long toHostCalls, long toHostBytes, long toDeviceCalls, long toDeviceBytes) {
    /** The copies made between {@code earlier} (a snapshot of the same provider) and this snapshot. */
    public Transfers since(Transfers earlier) {
        return new Transfers(toHostCalls - earlier.toHostCalls, toHostBytes - earlier.toHostBytes,
                toDeviceCalls - earlier.toDeviceCalls, toDeviceBytes - earlier.toDeviceBytes);
    }
}
