package dev.sculpt.nn;

import dev.sculpt.SculptException;
import dev.sculpt.model.Parameter;

/** Token embedding lookup from a table [vocab, dim]; backward scatters row gradients into the table's gradient. */
public final class Embedding {
    private final Parameter table;
    private final FloatArray w;
    private final FloatArray gw;
    private final int vocab;
    private final int dim;

    public Embedding(Parameter table) {
        if (!table.isMatrix()) throw new SculptException("embedding table " + table + " must be 2-D [vocab, dim]");
        this.table = table;
        this.w = FloatArray.dataOf(table);
        this.gw = FloatArray.gradOf(table);
        this.vocab = table.rows();
        this.dim = table.cols();
    }

    public Parameter table() { return table; }
    public int vocab() { return vocab; }
    public int dim() { return dim; }

    /** out[i, :] = table[ids[idOff + i], :] for i in [0, n); rows of out are dim wide starting at outOff. */
    public void forward(int[] ids, int idOff, int n, FloatArray out, int outOff) {
        for (int i = 0; i < n; i++) {
            int id = ids[idOff + i];
            if (id < 0 || id >= vocab) {
                throw new SculptException("token id " + id + " at position " + i + " is outside the vocabulary [0, " + vocab + ") of " + table.name());
            }
            out.copyFrom(w, id * dim, outOff + i * dim, dim);
        }
    }

    /** table.grad[ids[i], :] += dOut[i, :]. */
    public void backward(int[] ids, int idOff, int n, FloatArray dOut, int dOff) {
        if (!table.trainable()) return;
        var g = gw.buffer();
        var d = dOut.buffer();
        for (int i = 0; i < n; i++) {
            int row = ids[idOff + i] * dim;
            int src = dOff + i * dim;
            for (int j = 0; j < dim; j++) g.put(row + j, g.get(row + j) + d.get(src + j));
        }
    }
}
