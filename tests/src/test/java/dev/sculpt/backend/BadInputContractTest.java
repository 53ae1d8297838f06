package dev.sculpt.backend;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.linalg.SvdMethod;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.tensor.MatrixBatch;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input to every backend: a {@link SculptException} whose message names the matrix at fault, and the
 * inputs left as they were.
 */
class BadInputContractTest {
    static final String[] NAMES = {"layers.0.q_proj", "layers.0.k_proj", "layers.0.v_proj"};

    static Stream<Arguments> backends() {
        return Backends.available().stream().map(b -> Arguments.of(Named.of(b.name(), b)));
    }

    static MatrixBatch randomBatch(int count, int m, int n, SplittableRandom rnd) {
        MatrixBatch h = MatrixBatch.allocateHost(count, m, n);
        for (int b = 0; b < count; b++) DenseF64.gaussian(m, n, rnd).into(h, b);
        return h;
    }

    static void assertNames(String name, Executable call) {
        SculptException e = assertThrows(SculptException.class, call);
        assertTrue(e.getMessage().contains(name), "message does not name " + name + ": " + e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void nonFiniteValuesAreRejectedNamingTheMatrix(Backend backend) {
        SplittableRandom rnd = new SplittableRandom();
        SvdOptions opt = SvdOptions.defaults().withMethod(SvdMethod.RANDOMIZED);
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            try (MatrixBatch h = randomBatch(3, 40, 30, rnd).withNames(NAMES)) {
                h.set(1, 17, 5, bad);
                try (MatrixBatch d = backend.upload(h)) {
                    assertNames(NAMES[1], () -> backend.randomizedSvd(d, 5, opt).close());
                    assertNames(NAMES[1], () -> backend.exactSvd(d, 5).close());
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void ranksOutsideOneToMinAreRejected(Backend backend) {
        SplittableRandom rnd = new SplittableRandom();
        SvdOptions opt = SvdOptions.defaults().withMethod(SvdMethod.RANDOMIZED);
        try (MatrixBatch h = randomBatch(2, 40, 30, rnd).withNames(NAMES[0], NAMES[2]); MatrixBatch d = backend.upload(h)) {
            for (int k : new int[] {0, -3, 31, 1000}) {
                assertNames(NAMES[0], () -> backend.randomizedSvd(d, k, opt).close());
                assertNames(NAMES[0], () -> backend.exactSvd(d, k).close());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void emptyBatchesAreRejected(Backend backend) {
        try (MatrixBatch h = MatrixBatch.allocateHost(0, 10, 10); MatrixBatch d = backend.upload(h)) {
            SvdOptions opt = SvdOptions.defaults().withMethod(SvdMethod.RANDOMIZED);
            assertThrows(SculptException.class, () -> backend.randomizedSvd(d, 2, opt).close());
            assertThrows(SculptException.class, () -> backend.exactSvd(d, 2).close());
            try (MatrixBatch u = backend.allocate(0, 10, 2); MatrixBatch v = backend.allocate(0, 10, 2)) {
                assertThrows(SculptException.class, () -> backend.project(d, u, v, ProjectionMode.TWO_SIDED));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void projectionRejectsBadShapesAndValuesWithoutTouchingTheUpdate(Backend backend) {
        SplittableRandom rnd = new SplittableRandom();
        try (MatrixBatch dh = randomBatch(3, 40, 30, rnd).withNames(NAMES);
             MatrixBatch uh = randomBatch(3, 40, 4, rnd);
             MatrixBatch vh = randomBatch(3, 30, 4, rnd);
             MatrixBatch d = backend.upload(dh);
             MatrixBatch u = backend.upload(uh);
             MatrixBatch v = backend.upload(vh)) {
            float[] before = dh.toArray();
            Consumer<String> unchanged = what -> {
                try (MatrixBatch after = backend.download(d)) {
                    assertTrue(Arrays.equals(before, after.toArray()), "update modified by a rejected call: " + what);
                }
            };
            try (MatrixBatch uWrongRows = backend.upload(randomBatch(3, 41, 4, rnd))) {
                assertNames(NAMES[0], () -> backend.project(d, uWrongRows, v, ProjectionMode.TWO_SIDED));
                unchanged.accept("U with 41 rows");
            }
            try (MatrixBatch vWrongRows = backend.upload(randomBatch(3, 29, 4, rnd))) {
                assertNames(NAMES[0], () -> backend.project(d, u, vWrongRows, ProjectionMode.RIGHT));
                unchanged.accept("V with 29 rows");
            }
            try (MatrixBatch uWrongCount = backend.upload(randomBatch(2, 40, 4, rnd))) {
                assertNames(NAMES[0], () -> backend.project(d, uWrongCount, v, ProjectionMode.LEFT));
                unchanged.accept("U with 2 matrices");
            }
            try (MatrixBatch vOtherK = backend.upload(randomBatch(3, 30, 5, rnd))) {
                assertNames(NAMES[0], () -> backend.project(d, u, vOtherK, ProjectionMode.TWO_SIDED));
                unchanged.accept("U and V of different k");
            }
            try (MatrixBatch badD = MatrixBatch.allocateHost(3, 40, 30).withNames(NAMES)) {
                badD.buffer().put(0, dh.buffer(), 0, (int) dh.elementCount());
                badD.set(2, 39, 29, Float.NaN);
                try (MatrixBatch dd = backend.upload(badD)) {
                    assertNames(NAMES[2], () -> backend.project(dd, u, v, ProjectionMode.TWO_SIDED));
                    try (MatrixBatch after = backend.download(dd)) {
                        float[] a = after.toArray();
                        float[] b = badD.toArray();
                        assertTrue(Arrays.equals(Arrays.copyOf(a, a.length - 1), Arrays.copyOf(b, b.length - 1)),
                                "update modified by a call rejected for a NaN in its last matrix");
                    }
                }
            }
        }
    }
}
