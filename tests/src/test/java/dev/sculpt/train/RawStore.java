package dev.sculpt.train;

import dev.sculpt.SculptException;
import dev.sculpt.continual.ModelStore;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Parameter;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test checkpoint store: every parameter's floats in one file, in parameter order. */
public final class RawStore implements ModelStore {
    @Override
    public void save(LanguageModel model, Path dir) {
        try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(dir.resolve("weights.bin"))))) {
            for (Parameter p : model.parameters()) for (float f : p.toArray()) out.writeFloat(f);
        } catch (IOException e) {
            throw new SculptException(e.getMessage(), e);
        }
    }

    @Override
    public void loadInto(LanguageModel model, Path dir) {
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(dir.resolve("weights.bin"))))) {
            for (Parameter p : model.parameters()) {
                float[] v = new float[p.size()];
                for (int i = 0; i < v.length; i++) v[i] = in.readFloat();
                p.copyFrom(v);
            }
        } catch (IOException e) {
            throw new SculptException(e.getMessage(), e);
        }
    }
}
