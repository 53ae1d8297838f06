package dev.sculpt.cem;

import dev.sculpt.TinyCheckpoints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.cli.CliRun;
import dev.sculpt.ops.ParityProvider;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sculpt evolve --device cuda-emulated} runs the whole loop (evaluation, mining, retrieval, training, the next
 * evaluation) on the device provider, and its first evaluation, on the same initial weights, scores as the cpu run's.
 * (The training's float agreement between providers is {@code EmulatedContinualParityTest}'s; evolve trains through
 * the same runner.)
 */
class EvolveOnProviderTest {
    @TempDir Path dir;

    @Test
    void evolveRunsEndToEndOnTheDeviceProvider() throws Exception {
        ParityProvider.require();
        // hidden 16, one layer: the emulated kernels run one fiber per CUDA thread, so the model is as small as the
        // loop allows (the 820k-parameter "tiny" preset took over 5 minutes here, mostly the decomposition)
        Path model = TinyCheckpoints.llama(dir.resolve("model"), 128);
        TinyEvolveFiles f = TinyEvolveFiles.write(dir);
        JsonNode cpu = run(model, f, "cpu"), dev = run(model, f, ParityProvider.DEVICE);
        JsonNode rc = cpu.get("rounds"), rd = dev.get("rounds");
        assertEquals(rc.size(), rd.size(), "rounds: cpu " + rc + "\ndevice " + rd);
        assertEquals(2, rd.size(), "a random model gets the probe wrong, so one training round runs on the device");
        assertEquals(rc.get(0).get("probe"), rd.get(0).get("probe"), "the first evaluation, on the same weights");
        JsonNode trained = rd.get(1);
        assertEquals(rc.get(1).get("trainSteps"), trained.get("trainSteps"), "the same data, so the same steps");
        assertTrue(trained.get("trainSteps").asInt() >= 1, trained.toString());
    }

    private JsonNode run(Path model, TinyEvolveFiles f, String device) throws Exception {
        Path out = dir.resolve("run-" + device);
        CliRun r = CliRun.of("evolve", "--model", model.toString(), "--questions", f.probe().toString(),
                "--corpus", f.wiki() + "," + f.web(), "--heldout", f.heldout().toString(), "--train-questions", f.train().toString(),
                "--rounds", "1", "--out", out.toString(), "--samples", "0", "--delta", "0", "--max-new-tokens", "4",
                "--lr", "1e-3", "--max-tokens", "96", "--device", device, "--seed", "5");
        assertEquals(0, r.code(), device + ": " + r.out() + r.err());
        assertTrue(r.out().contains(device), device + ": the run names its provider: " + r.out());
        return new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
    }
}
