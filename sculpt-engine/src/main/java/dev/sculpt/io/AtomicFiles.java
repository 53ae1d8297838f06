package dev.sculpt.io;

import dev.sculpt.SculptException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Atomic output: a file (or a whole directory) is written under a temporary name next to its target, flushed
 * to disk, then renamed over the target in one step, so that readers see either the old content or the
 * complete new one, never a half-written file. On any failure the temporary is removed and the target is left
 * as it was.
 *
 * <p>Temporaries are hidden siblings named {@code .<target name>.<random>.tmp} (directories
 * {@code .<target name>.<random>.tmpdir}).
 */
public final class AtomicFiles {
    private static final Logger LOG = LoggerFactory.getLogger(AtomicFiles.class);

    private AtomicFiles() {}

    /** Writes the content of a file through its channel. */
    @FunctionalInterface
    public interface FileBody {
        void write(FileChannel channel) throws IOException;
    }

    /** Fills a (temporary) directory with files. */
    @FunctionalInterface
    public interface DirectoryBody {
        void fill(Path dir) throws IOException;
    }

    /**
     * A file being written under a temporary name: write through {@link #channel()}, then {@link #commit()};
     * {@link #close()} without a commit deletes the temporary.
     */
    public static final class PendingFile implements AutoCloseable {
        private final Path target;
        private final Path temp;
        private final FileChannel channel;
        private boolean done;

        private PendingFile(Path target) {
            this.target = target.toAbsolutePath();
            Path dir = this.target.getParent();
            try {
                Files.createDirectories(dir);
                this.temp = Files.createTempFile(dir, "." + this.target.getFileName() + ".", ".tmp");
                this.channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            } catch (IOException e) {
                throw new SculptException("cannot create a temporary file next to " + this.target + ": " + e.getMessage(), e);
            }
        }

        public FileChannel channel() {
            return channel;
        }

        public Path target() {
            return target;
        }

        /** The temporary's path (for diagnostics and tests). */
        public Path temp() {
            return temp;
        }

        /** Flushes the temporary to disk and renames it over the target. */
        public void commit() {
            if (done) throw new IllegalStateException("already committed or aborted: " + target);
            try {
                channel.force(true);
                channel.close();
                moveAtomically(temp, target);
                fsyncDirectory(target.getParent());
                done = true;
            } catch (IOException e) {
                abort();
                throw new SculptException("cannot write " + target + ": " + e.getMessage(), e);
            }
        }

        /** Deletes the temporary; the target is untouched. Idempotent. */
        public void abort() {
            if (done) return;
            done = true;
            try {
                channel.close();
            } catch (IOException ignored) {
                // the temporary is being discarded anyway
            }
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                LOG.warn("could not delete temporary {}: {}", temp, e.getMessage());
            }
        }

        @Override
        public void close() {
            abort();
        }
    }

    /** Starts writing {@code target} under a temporary name. */
    public static PendingFile begin(Path target) {
        return new PendingFile(target);
    }

    /** Writes {@code target} atomically with {@code body}. */
    public static void write(Path target, FileBody body) {
        try (PendingFile p = begin(target)) {
            try {
                body.write(p.channel());
            } catch (IOException e) {
                throw new SculptException("cannot write " + p.target() + ": " + e.getMessage(), e);
            } catch (UncheckedIOException e) {
                throw new SculptException("cannot write " + p.target() + ": " + e.getCause().getMessage(), e);
            }
            p.commit();
        }
    }

    /** What fills a file through an output stream (flushed, not closed, by {@link #writeStream}). */
    public interface StreamBody {
        void write(OutputStream out) throws IOException;
    }

    /** Writes {@code target} atomically from an output stream (buffered). */
    public static void writeStream(Path target, StreamBody body) {
        write(target, ch -> {
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
            body.write(out);
            out.flush();   // closing would close the channel before the commit
        });
    }

    /**
     * Deletes what {@link #writeDirectory} leaves in {@code parent} when a process dies mid-write (hidden
     * {@code .<name>.<random>.tmpdir} and {@code .old} directories); safe while no writer is running.
     */
    public static void deleteDebris(Path parent) {
        if (!Files.isDirectory(parent)) return;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, ".*.{tmpdir,old}")) {
            for (Path p : ds) deleteRecursively(p);
        } catch (IOException e) {
            throw new SculptException("cannot list " + parent + ": " + e.getMessage(), e);
        }
    }

    /** Writes bytes to {@code target} atomically. */
    public static void writeBytes(Path target, byte[] bytes) {
        write(target, ch -> writeFully(ch, ByteBuffer.wrap(bytes)));
    }

    /** Writes a UTF-8 string to {@code target} atomically. */
    public static void writeString(Path target, String text) {
        writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes all remaining bytes of {@code buf}. */
    public static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /**
     * Writes a whole directory atomically: {@code body} fills a temporary directory next to {@code target};
     * its files are flushed to disk and the directory renamed to {@code target}. An existing {@code target}
     * directory is replaced as a whole (moved aside, then deleted after the new one is in place), so the
     * target never holds a mix of old and new files.
     */
    public static void writeDirectory(Path target, DirectoryBody body) {
        Path abs = target.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null) throw new SculptException("cannot replace the root directory");
        if (Files.exists(abs) && !Files.isDirectory(abs)) {
            throw new SculptException(abs + " exists and is not a directory");
        }
        Path temp;
        try {
            Files.createDirectories(parent);
            temp = Files.createTempDirectory(parent, "." + abs.getFileName() + ".");
            Path renamed = parent.resolve(temp.getFileName() + ".tmpdir");
            Files.move(temp, renamed, StandardCopyOption.ATOMIC_MOVE);
            temp = renamed;
        } catch (IOException e) {
            throw new SculptException("cannot create a temporary directory next to " + abs + ": " + e.getMessage(), e);
        }
        boolean placed = false;
        try {
            body.fill(temp);
            try (Stream<Path> files = Files.walk(temp)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    if (Files.isRegularFile(f)) fsyncFile(f);
                }
            }
            fsyncDirectory(temp);
            if (Files.exists(abs)) {
                Path old = parent.resolve(temp.getFileName().toString().replace(".tmpdir", ".old"));
                moveAtomically(abs, old);
                try {
                    moveAtomically(temp, abs);
                } catch (IOException e) {
                    moveAtomically(old, abs);   // put the old one back
                    throw e;
                }
                placed = true;
                fsyncDirectory(parent);
                deleteRecursively(old);
            } else {
                moveAtomically(temp, abs);
                placed = true;
                fsyncDirectory(parent);
            }
        } catch (IOException e) {
            throw new SculptException("cannot write " + abs + ": " + e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw new SculptException("cannot write " + abs + ": " + e.getCause().getMessage(), e);
        } finally {
            if (!placed) deleteRecursively(temp);
        }
    }

    private static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system cannot rename " + from + " to " + to + " atomically", e);
        }
    }

    private static void fsyncFile(Path f) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    /** Flushes a directory entry change (rename) to disk where the platform allows it. */
    static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            LOG.debug("directory fsync not supported for {}: {}", dir, e.getMessage());
        }
    }

    /** Deletes a file or directory tree, logging (not throwing) what cannot be removed. */
    public static void deleteRecursively(Path p) {
        if (p == null || !Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(p)) {
            List<Path> all = s.sorted(Comparator.reverseOrder()).toList();
            for (Path x : all) {
                Files.deleteIfExists(x);
            }
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", p, e.getMessage());
        }
    }
}
