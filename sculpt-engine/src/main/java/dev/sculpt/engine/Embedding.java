package dev.sculpt.engine;

import dev.sculpt.SculptException;
import dev.sculpt.model.Parameter;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;

/** Token embedding lookup from a table [vocab, dim] ({@link Ops#embeddingForward}); ids are host int[]. */
public final class Embedding {
    private final Ops ops;
    private final Parameter table;

    public Embedding(Ops ops, Parameter table) {
        if (!table.isMatrix()) throw new SculptException("embedding table " + table + " must be 2-D [vocab, dim]");
        this.ops = ops;
        this.table = table;
    }

    public Parameter table() { return table; }
    public int vocab() { return table.rows(); }
    public int dim() { return table.cols(); }

    /** out [ids.length, dim] = the table rows of ids (an id outside the vocabulary is an error naming it). */
    public void forward(int[] ids, Tensor out) {
        ops.embeddingForward(table.value(), ids, out);
    }

    /** {@code dTable[ids[i]] += dOut[i]} (nothing when frozen). */
    public void backward(int[] ids, Tensor dOut) {
        if (table.trainable()) ops.embeddingBackward(ids, dOut, table.gradient());
    }
}
