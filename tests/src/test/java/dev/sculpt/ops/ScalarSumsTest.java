package dev.sculpt.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import dev.sculpt.ops.cpu.CpuOps;
import dev.sculpt.ops.cuda.CudaOps;
import dev.sculpt.ops.cuda.Transfers;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Ops#scalarSums} on cpu and on the device provider: each slot is, bit for bit, the host's
 * {@code 0 + ops.sum(x) + ...} (the device adds its reduction partials in the host's order), close to the float64
 * sum, and on the device nothing is read back until {@link ScalarSums#read()}, which is one copy of 8 bytes a slot.
 */
class ScalarSumsTest {
    private static Ops provider(String which) {
        if (which.equals("cpu")) return new CpuOps();
        ParityProvider.require();
        return OpsProviders.create(ParityProvider.DEVICE);
    }

    private static Tensor random(Ops ops, Random rnd, String name, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        try (Tensor h = Tensor.ofHost(name + " (host)", v, n)) {
            return ops.upload(h, name);
        }
    }

    /** {sum, sum of absolute values} of the elements (or their squares, exact in double), in double. */
    private static double[] sum(Ops ops, Tensor t, boolean squares) {
        double s = 0, abs = 0;
        for (float f : HostCopy.toArray(ops, t)) {
            double x = squares ? (double) f * f : f;
            s += x;
            abs += Math.abs(x);
        }
        return new double[] {s, abs};
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "device"})
    void slotsAreTheHostsSumsBitForBitAndReadInOneCopy(String which) {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        String where = which + ", seed " + seed;
        // 70000 elements: the device reduction's full 64 blocks; 300: two blocks; 1: one
        try (Ops ops = provider(which);
             Tensor a = random(ops, rnd, "a", 70000); Tensor b = random(ops, rnd, "b", 300); Tensor c = random(ops, rnd, "c", 1);
             ScalarSums sums = ops.scalarSums("test", 3)) {
            assertEquals(3, sums.slots());
            double value = rnd.nextGaussian();
            Transfers before = ops instanceof CudaOps d ? d.transfers() : null;
            sums.addSum(0, a);
            sums.addSum(0, b);
            sums.addSumOfSquares(1, a);
            sums.addSumOfSquares(1, c);
            sums.add(2, value);
            sums.addSum(2, c);
            if (ops instanceof CudaOps d) {
                assertEquals(0, d.transfers().since(before).toHostCalls(), where + ": adding reads nothing back");
            }
            Transfers beforeRead = ops instanceof CudaOps d ? d.transfers() : null;
            double[] got = sums.read();
            if (ops instanceof CudaOps d) {
                Transfers t = d.transfers().since(beforeRead);
                assertEquals(1, t.toHostCalls(), where);
                assertEquals(3 * Double.BYTES, t.toHostBytes(), where);
            }
            double[] host = {0 + ops.sum(a) + ops.sum(b), 0 + ops.sumOfSquares(a) + ops.sumOfSquares(c), 0 + value + ops.sum(c)};
            assertArrayEquals(host, got, where + ": the same double additions as the host's");
            // float64 references: any order of adding n doubles (the terms exact: floats and squares of floats) is within
            // gamma_n = n 2^-53 / (1 - n 2^-53) of sum |term| of the exact sum, and so is the reference; twice that apart
            double[][] parts = {sum(ops, a, false), sum(ops, b, false), sum(ops, a, true), sum(ops, c, true), sum(ops, c, false)};
            double[] exact = {parts[0][0] + parts[1][0], parts[2][0] + parts[3][0], value + parts[4][0]};
            double[] abs = {parts[0][1] + parts[1][1], parts[2][1] + parts[3][1], Math.abs(value) + parts[4][1]};
            double gamma = 70302 * 0x1p-53 / (1 - 70302 * 0x1p-53);
            for (int s = 0; s < 3; s++) assertEquals(exact[s], got[s], 2 * gamma * abs[s], where + ": slot " + s);
            assertArrayEquals(got, sums.read(), where + ": reading changes nothing");
            sums.reset();
            assertArrayEquals(new double[3], sums.read(), where + ": reset");
            SculptException e = assertThrows(SculptException.class, () -> sums.addSum(3, a));
            assertTrue(e.getMessage().contains("slot 3"), e.getMessage());
            assertThrows(SculptException.class, () -> ops.scalarSums("none", 0));
        }
    }
}
