package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.sculpt.cli.CliRun;
import dev.sculpt.cli.Sculpt;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sculpt evolve --precision bf16 --basis-precision bf16} trains a round end to end (OSFT with bf16 bases, bf16
 * compute), and its weights differ from the fp32 run's with everything else equal (so the flags reach the model).
 */
class EvolveBf16Test {
    @TempDir Path dir;

    private CliRun evolve(Path model, TinyEvolveFiles f, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("evolve", "--model", model.toString(), "--questions", f.probe().toString(),
                "--corpus", f.wiki().toString(), "--rounds", "1", "--out", out.toString(), "--samples", "0", "--delta", "0",
                "--max-new-tokens", "4", "--lr", "1e-3", "--max-tokens", "96", "--device", "cpu", "--method", "osft",
                "--train-questions", f.train().toString(), "--save", "--seed", "7"));
        a.addAll(List.of(more));
        return CliRun.of(a.toArray(String[]::new));
    }

    @Test
    void aBf16RoundTrainsAndDiffersFromFp32() throws Exception {
        Path model = dir.resolve("model");
        assertEquals(0, Sculpt.execute("init", "--arch", "llama", "--size", "tiny", "--out", model.toString(), "--seed", "3"));
        TinyEvolveFiles f = TinyEvolveFiles.write(dir);
        CliRun fp32 = evolve(model, f, dir.resolve("fp32"));
        assertEquals(0, fp32.code(), fp32.err());
        CliRun bf16 = evolve(model, f, dir.resolve("bf16"), "--precision", "bf16", "--basis-precision", "bf16");
        assertEquals(0, bf16.code(), bf16.err());
        byte[] a = Files.readAllBytes(dir.resolve("fp32/model/model.safetensors"));
        byte[] b = Files.readAllBytes(dir.resolve("bf16/model/model.safetensors"));
        assertEquals(a.length, b.length, "the same tensors, stored in fp32 either way");
        assertFalse(Arrays.equals(a, b), "bf16 compute changes the trained weights");
    }
}
