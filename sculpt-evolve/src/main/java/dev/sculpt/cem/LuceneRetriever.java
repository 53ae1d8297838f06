package dev.sculpt.cem;

import dev.sculpt.SculptException;
import dev.sculpt.io.JsonLines;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.FSDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local BM25 retrieval with Apache Lucene over corpus JSONL files of {@code {"id","title","text"}} lines.
 * Each file is a source named by its file name without extension ("wiki.jsonl" -> "wiki").
 *
 * <p>The index is built once into {@code indexDir} and reused by later runs. A SHA-256 fingerprint of the
 * corpus files' names and bytes is stored next to it; when the corpus changes the index is rebuilt, into a
 * temporary folder that replaces the old one only when complete. Queries are analysed with Lucene's English
 * analyzer (stop words, Porter stemming) and match title (boost 2) or text, scored by BM25 (k1 1.2, b 0.75).
 */
public final class LuceneRetriever implements Retriever {
    private static final Logger LOG = LoggerFactory.getLogger(LuceneRetriever.class);
    private static final String FORMAT = "sculpt-lucene-v1";
    private static final String FINGERPRINT_FILE = "sculpt-fingerprint.txt";
    private static final int MAX_QUERY_TERMS = 64;

    private final Analyzer analyzer = new EnglishAnalyzer();
    private final FSDirectory directory;
    private final DirectoryReader reader;
    private final IndexSearcher searcher;
    private final boolean rebuilt;

    private LuceneRetriever(Path indexDir, boolean rebuilt) throws IOException {
        this.directory = FSDirectory.open(indexDir);
        this.reader = DirectoryReader.open(directory);
        this.searcher = new IndexSearcher(reader);
        this.searcher.setSimilarity(new BM25Similarity());
        this.rebuilt = rebuilt;
    }

    /** Opens the index in {@code indexDir}, building or rebuilding it when it is missing or stale. */
    public static LuceneRetriever open(List<Path> corpora, Path indexDir) {
        if (corpora.isEmpty()) throw new SculptException("--corpus: no corpus files given");
        List<String> names = sourceNames(corpora);
        String fingerprint = fingerprint(corpora, names);
        Path fpFile = indexDir.resolve(FINGERPRINT_FILE);
        boolean rebuild = true;
        try {
            if (Files.isRegularFile(fpFile) && Files.readString(fpFile).trim().equals(fingerprint)) rebuild = false;
            if (rebuild) build(corpora, names, indexDir, fingerprint);
            else LOG.info("reusing the BM25 index in {}", indexDir);
            return new LuceneRetriever(indexDir, rebuild);
        } catch (IOException e) {
            throw new SculptException("index " + indexDir + ": " + e.getMessage(), e);
        }
    }

    /** True when {@link #open} had to (re)build the index. */
    public boolean rebuilt() { return rebuilt; }

    public int size() { return reader.numDocs(); }

    @Override
    public List<Hit> search(String query, int k) {
        List<String> terms = analyze(query);
        if (terms.isEmpty() || k <= 0) return List.of();
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        for (String t : terms) {
            b.add(new BoostQuery(new TermQuery(new Term("title", t)), 2f), BooleanClause.Occur.SHOULD);
            b.add(new TermQuery(new Term("text", t)), BooleanClause.Occur.SHOULD);
        }
        try {
            List<Hit> out = new ArrayList<>();
            for (ScoreDoc sd : searcher.search(b.build(), k).scoreDocs) {
                Document d = searcher.storedFields().document(sd.doc);
                out.add(new Hit(new Passage(d.get("id"), d.get("title"), d.get("text"), d.get("source")), sd.score));
            }
            return out;
        } catch (IOException e) {
            throw new SculptException("BM25 search failed for \"" + query + "\": " + e.getMessage(), e);
        }
    }

    private List<String> analyze(String text) {
        Set<String> out = new LinkedHashSet<>();
        try (TokenStream ts = analyzer.tokenStream("text", text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken() && out.size() < MAX_QUERY_TERMS) out.add(term.toString());
            ts.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ArrayList<>(out);
    }

    @Override
    public void close() {
        try {
            reader.close();
            directory.close();
            analyzer.close();
        } catch (IOException e) {
            throw new SculptException("cannot close the BM25 index: " + e.getMessage(), e);
        }
    }

    private static List<String> sourceNames(List<Path> corpora) {
        List<String> names = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Path p : corpora) {
            String n = p.getFileName().toString().replaceFirst("\\.(jsonl|json|ndjson)$", "");
            String unique = n;
            for (int i = 2; !seen.add(unique); i++) unique = n + "-" + i;
            names.add(unique);
        }
        return names;
    }

    private static String fingerprint(List<Path> corpora, List<String> names) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(FORMAT.getBytes(StandardCharsets.UTF_8));
            byte[] buf = new byte[1 << 16];
            for (int i = 0; i < corpora.size(); i++) {
                md.update(("\0" + names.get(i) + "\0").getBytes(StandardCharsets.UTF_8));
                try (InputStream in = Files.newInputStream(corpora.get(i))) {
                    for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
                } catch (NoSuchFileException e) {
                    throw new SculptException("--corpus: " + corpora.get(i) + ": no such file");
                } catch (IOException e) {
                    throw new SculptException("--corpus: " + corpora.get(i) + ": cannot read: " + e.getMessage(), e);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void build(List<Path> corpora, List<String> names, Path indexDir, String fingerprint) throws IOException {
        Path parent = indexDir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, indexDir.getFileName() + ".building-");
        try {
            int total = 0;
            try (FSDirectory dir = FSDirectory.open(tmp);
                 IndexWriter w = new IndexWriter(dir, new IndexWriterConfig(new EnglishAnalyzer()).setSimilarity(new BM25Similarity()))) {
                for (int i = 0; i < corpora.size(); i++) {
                    Path file = corpora.get(i);
                    String source = names.get(i);
                    Set<String> ids = new HashSet<>();
                    int[] count = {0};
                    JsonLines.read(file, (o, where) -> {
                        String id = JsonLines.text(o, "id", where);
                        String text = JsonLines.text(o, "text", where);
                        String title = o.hasNonNull("title") ? o.get("title").asText() : "";
                        if (!ids.add(id)) throw new SculptException(where + ": duplicate passage id \"" + id + "\"");
                        Document d = new Document();
                        d.add(new StringField("id", id, Field.Store.YES));
                        d.add(new StringField("source", source, Field.Store.YES));
                        d.add(new TextField("title", title, Field.Store.YES));
                        d.add(new TextField("text", text, Field.Store.YES));
                        try {
                            w.addDocument(d);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                        count[0]++;
                    });
                    if (count[0] == 0) throw new SculptException("--corpus: " + file + " is empty (no passages)");
                    total += count[0];
                }
                w.commit();
            }
            Files.writeString(tmp.resolve(FINGERPRINT_FILE), fingerprint + "\n");
            deleteTree(indexDir);
            Files.move(tmp, indexDir);
            LOG.info("built the BM25 index in {}: {} passages from {}", indexDir, total, names);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } finally {
            deleteTree(tmp);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
