package dev.dataselect.transforms.inference;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import com.google.common.hash.Hashing;
import dev.dataselect.transforms.DeadLetter;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.JoinById;
import java.io.IOException;
import java.io.Serializable;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A content-addressed store of model outputs, so no document is scored twice: entries are keyed
 * by (a fingerprint of everything that changes a stage's output, a hash of the document's text),
 * not by document id, so a renamed, re-sharded or grown corpus still hits.
 *
 * <pre>{@code
 * ScoreStore store = ScoreStore.at("gs://bucket/store/");
 * PCollectionTuple e = docs.apply(store.embed(Embed.with(model)));   // same tags as Embed's
 * e.get(Embed.EMBEDDINGS); e.get(Embed.DEAD_LETTERS); e.get(ScoreStore.SERVED); e.get(ScoreStore.SCORED);
 * }</pre>
 *
 * <p><b>Layout.</b> {@code <store>/<stage>-<fingerprint>/part-<uuid>.parquet}, one folder per
 * fingerprint: 16 hex digits of SHA-256 over the stage's {@code metadata()} (model and tokenizer
 * URIs, truncation, pooling, prefix, prompt template, score mode, ...) and each model file's
 * identity (size, modification time and the file system's checksum where it has one: GCS's
 * CRC32C; a model given as bytes carries its SHA-256 in its URI). Entries are Parquet rows {@code
 * {text: 32 hex digits of the text's 128-bit Murmur3 hash, embedding: float[]}} or {@code {text,
 * score: double}}; {@code fingerprint.json} in the folder lists what went into the fingerprint.
 *
 * <p><b>Lookup.</b> The folder's files are read in parallel and joined to the documents by text
 * hash ({@link JoinById}: hash-sharded groups, the store side held per group, so a store of 10⁹
 * entries needs memory per group only). Documents with an entry get it (under their own id); the
 * rest go to the stage under their text hash as id, and its outputs are joined back to their
 * document ids. A dead letter of the stage therefore names the text hash; the document's own id is
 * in its payload's metadata ({@code storeDocumentId}).
 *
 * <p><b>Write as you go.</b> Fresh outputs are written by a DoFn fused to the model stage, every
 * {@link #withFlushEntries} entries and at the end of each bundle, each as a new file: written
 * under a temporary name, then renamed, so a reader never sees half a file. A job killed at any
 * moment leaves every file it finished. A retried bundle may write an entry twice: readers keep
 * one (the smallest value, so every run picks the same). A file that cannot be read (cut short,
 * not Parquet) is skipped, logged, and named in {@link #SKIPPED_FILES}; its documents are scored
 * again.
 */
public final class ScoreStore implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ScoreStore.class);
  /** Ids of the documents whose output came from the store. */
  public static final TupleTag<String> SERVED = new TupleTag<>("storeServed") {};
  /** Ids of the documents the stage scored (and whose output was added to the store). */
  public static final TupleTag<String> SCORED = new TupleTag<>("storeScored") {};
  /** Store files that could not be read, with the reason. */
  public static final TupleTag<String> SKIPPED_FILES = new TupleTag<>("storeSkippedFiles") {};
  public static final int DEFAULT_FLUSH_ENTRIES = 1024;
  public static final String PART_PREFIX = "part-";
  static final String TMP_PREFIX = ".tmp-";
  public static final String SUFFIX = ".parquet";
  /** The payload metadata field of a document scored under its text hash. */
  public static final String DOCUMENT_ID_FIELD = "storeDocumentId";

  private final String location;
  private final int flushEntries;
  private final int shards;

  private ScoreStore(String location, int flushEntries, int shards) {
    this.location = location;
    this.flushEntries = flushEntries;
    this.shards = shards;
  }

  /** The store at {@code location}, a local folder or {@code gs://} prefix (created on the first write). */
  public static ScoreStore at(String location) {
    requireNonNull(location, "location");
    checkArgument(!location.isBlank(), "the store location must not be blank");
    return new ScoreStore(location.endsWith("/") ? location : location + "/", DEFAULT_FLUSH_ENTRIES, JoinById.DEFAULT_SHARDS);
  }

  /** The store of a job's options, or null when none is given ({@code location} empty). */
  public static ScoreStore fromOptions(String location, int flushEntries, int shards) {
    return location.isEmpty() ? null : at(location).withFlushEntries(flushEntries).withShards(shards);
  }

  /** Fresh entries per file, at most (a file is also written at the end of every bundle); default 1,024. */
  public ScoreStore withFlushEntries(int flushEntries) {
    checkArgument(flushEntries >= 1, "flushEntries must be >= 1, got %s", flushEntries);
    return new ScoreStore(location, flushEntries, shards);
  }

  /** Groups of the lookup join ({@link JoinById#withShards}). */
  public ScoreStore withShards(int shards) {
    checkArgument(shards >= 1, "shards must be >= 1, got %s", shards);
    return new ScoreStore(location, flushEntries, shards);
  }

  public String location() {
    return location;
  }

  /** {@code embed} through the store: outputs {@link Embed#EMBEDDINGS}, {@link Embed#DEAD_LETTERS} and this class's tags. */
  public Stored<Embedding> embed(Embed embed) {
    return new Stored<>(this, embed, embed.metadata(), Embed.EMBEDDINGS, Embed.DEAD_LETTERS, new Vectors(), modelUris(embed.model()));
  }

  /** ASK-LLM through the store: outputs {@link AskLlmScore#SCORES}, {@link AskLlmScore#DEAD_LETTERS} and this class's tags. */
  public Stored<DocumentScore> askLlm(AskLlmScore score) {
    return new Stored<>(this, score, score.metadata(), AskLlmScore.SCORES, AskLlmScore.DEAD_LETTERS, new Scores(), modelUris(score.model()));
  }

  /** Perplexity through the store: outputs {@link PerplexityScore#SCORES}, {@link PerplexityScore#DEAD_LETTERS} and this class's tags. */
  public Stored<DocumentScore> perplexity(PerplexityScore score) {
    return new Stored<>(this, score, score.metadata(), PerplexityScore.SCORES, PerplexityScore.DEAD_LETTERS, new Scores(),
        modelUris(score.model()));
  }

  /** The model files whose identity the fingerprint covers, by metadata key. */
  static Map<String, String> modelUris(dev.dataselect.models.ModelConfig model) {
    Map<String, String> m = new TreeMap<>();
    m.put("modelUri", model.model().uri());
    if (model.decoder() != null) {
      m.put("decoderUri", model.decoder().uri());
    }
    m.put("tokenizerUri", model.tokenizer().uri());
    return m;
  }

  /** The text's key: 32 hex digits of its 128-bit Murmur3 hash (UTF-8, exactly as given). */
  public static String textHash(String text) {
    return Hashing.murmur3_128(0x5C0E5).hashString(text, StandardCharsets.UTF_8).toString();
  }

  /**
   * What a stage's fingerprint covers: its metadata, plus for each model file URI its identity
   * ({@code <key>.identity}: size, modification time, checksum) where the file system can match it.
   */
  public static SortedMap<String, String> identity(SortedMap<String, String> metadata, Map<String, String> modelUris) {
    SortedMap<String, String> out = new TreeMap<>(metadata);
    modelUris.forEach((key, uri) -> {
      String id = fileIdentity(uri);
      if (id != null) {
        out.put(key + ".identity", id);
      }
    });
    return out;
  }

  private static String fileIdentity(String uri) {
    if (uri.startsWith("bytes:") || uri.startsWith("classpath:")) {
      return null; // bytes carry their SHA-256 in the URI; a classpath resource is versioned by its jar
    }
    try {
      MatchResult.Metadata m = FileSystems.matchSingleFileSpec(uri);
      return "size=" + m.sizeBytes() + " modified=" + m.lastModifiedMillis() + (m.checksum() == null ? "" : " checksum=" + m.checksum());
    } catch (IOException | RuntimeException e) {
      return null; // a folder or an unmatched URI: the model stage reports it when it loads
    }
  }

  /** 16 hex digits of SHA-256 over the identity's {@code key=value} lines. */
  public static String fingerprint(SortedMap<String, String> identity) {
    StringBuilder s = new StringBuilder();
    identity.forEach((k, v) -> s.append(k).append('=').append(v).append('\n'));
    return Hashing.sha256().hashString(s, StandardCharsets.UTF_8).toString().substring(0, 16);
  }

  /** The folder holding one stage's entries: {@code <store>/<stage>-<fingerprint>/}. */
  public String folder(SortedMap<String, String> identity) {
    String stage = identity.getOrDefault("stage", "stage").replaceAll("[^A-Za-z0-9_.-]", "_");
    return location + stage + "-" + fingerprint(identity) + "/";
  }

  /**
   * Reads every entry of one store file (local or gs://) into {@code entry}; fails as a whole when
   * the file cannot be read (cut short, not Parquet), after the entries read before the failure.
   */
  public static void readFile(ResourceId file, long sizeBytes, java.util.function.Consumer<GenericRecord> entry) throws IOException {
    try (SeekableByteChannel channel = (SeekableByteChannel) FileSystems.open(file);
        ParquetReader<GenericRecord> reader = AvroParquetReader.<GenericRecord>builder(
            new ParquetFiles.ChannelInputFile(channel, sizeBytes)).withDataModel(GenericData.get()).build()) {
      GenericRecord r;
      while ((r = reader.read()) != null) {
        entry.accept(r);
      }
    }
  }

  /** The number of entries of one store file, from its Parquet footer (nothing else is read). */
  public static long entryCount(ResourceId file, long sizeBytes) throws IOException {
    try (SeekableByteChannel channel = (SeekableByteChannel) FileSystems.open(file);
        ParquetFileReader reader = ParquetFileReader.open(
            new ParquetFiles.ChannelInputFile(channel, sizeBytes))) {
      return reader.getRecordCount();
    }
  }

  /** The pattern of every entry file of every fingerprint folder. */
  public String allParts() {
    return location + "*/" + PART_PREFIX + "*" + SUFFIX;
  }

  /** The folder ({@code <store>/<stage>-<fingerprint>/}) a file of {@link #allParts} is in. */
  public static String folderOf(String file) {
    int slash = file.lastIndexOf('/');
    return file.substring(0, slash + 1);
  }

  /** The Avro schema of a folder's entries: vectors for an {@code embed-*} folder, else scores. */
  public static org.apache.avro.Schema schemaOf(String folder) {
    String name = folder.substring(0, folder.length() - 1);
    name = name.substring(name.lastIndexOf('/') + 1);
    return name.startsWith("embed-") ? VECTOR_SCHEMA : SCORE_SCHEMA;
  }

  /** How a stage's output type is stored: its Avro schema, and the conversions. */
  interface Values<V> extends Serializable {
    Schema schema();

    Coder<V> coder();

    String id(V v);

    V withId(V v, String id);

    void fill(V v, GenericData.Record r);

    V read(GenericRecord r, String id);

    /** One of several entries for the same text, the same whichever order they come in. */
    V pick(List<V> entries);
  }

  static final Schema VECTOR_SCHEMA = SchemaBuilder.record("StoredEmbedding").namespace("dev.dataselect").fields()
      .requiredString("text").name("embedding").type().array().items().floatType().noDefault().endRecord();
  static final Schema SCORE_SCHEMA = SchemaBuilder.record("StoredScore").namespace("dev.dataselect").fields()
      .requiredString("text").requiredDouble("score").endRecord();

  static final class Vectors implements Values<Embedding> {
    private static final long serialVersionUID = 1L;

    @Override
    public Schema schema() {
      return VECTOR_SCHEMA;
    }

    @Override
    public Coder<Embedding> coder() {
      return Embedding.EmbeddingCoder.of();
    }

    @Override
    public String id(Embedding v) {
      return v.id();
    }

    @Override
    public Embedding withId(Embedding v, String id) {
      return Embedding.of(id, v.vector());
    }

    @Override
    public void fill(Embedding v, GenericData.Record r) {
      r.put("text", v.id());
      List<Float> values = new ArrayList<>(v.dimension());
      for (float f : v.vector()) {
        values.add(f);
      }
      r.put("embedding", values);
    }

    @Override
    public Embedding read(GenericRecord r, String id) {
      @SuppressWarnings("unchecked")
      List<Object> values = (List<Object>) r.get("embedding");
      float[] v = new float[values.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = ((Number) values.get(i)).floatValue();
      }
      return Embedding.of(id, v);
    }

    @Override
    public Embedding pick(List<Embedding> entries) {
      Embedding best = entries.get(0);
      for (Embedding e : entries) {
        if (java.util.Arrays.compare(e.vector(), best.vector()) < 0) {
          best = e;
        }
      }
      return best;
    }
  }

  static final class Scores implements Values<DocumentScore> {
    private static final long serialVersionUID = 1L;

    @Override
    public Schema schema() {
      return SCORE_SCHEMA;
    }

    @Override
    public Coder<DocumentScore> coder() {
      return DocumentScore.DocumentScoreCoder.of();
    }

    @Override
    public String id(DocumentScore v) {
      return v.id();
    }

    @Override
    public DocumentScore withId(DocumentScore v, String id) {
      return DocumentScore.of(id, v.score());
    }

    @Override
    public void fill(DocumentScore v, GenericData.Record r) {
      r.put("text", v.id());
      r.put("score", v.score());
    }

    @Override
    public DocumentScore read(GenericRecord r, String id) {
      return DocumentScore.of(id, ((Number) r.get("score")).doubleValue());
    }

    @Override
    public DocumentScore pick(List<DocumentScore> entries) {
      DocumentScore best = entries.get(0);
      for (DocumentScore e : entries) {
        if (Double.compare(e.score(), best.score()) < 0) {
          best = e;
        }
      }
      return best;
    }
  }

  /** A model stage through the store; outputs the stage's own tags plus {@link #SERVED}, {@link #SCORED}, {@link #SKIPPED_FILES}. */
  public static final class Stored<V> extends PTransform<PCollection<Document>, PCollectionTuple> {
    private final ScoreStore store;
    private final PTransform<PCollection<Document>, PCollectionTuple> stage;
    private final SortedMap<String, String> identity;
    private final TupleTag<V> valuesTag;
    private final TupleTag<DeadLetter> deadTag;
    private final Values<V> values;

    Stored(ScoreStore store, PTransform<PCollection<Document>, PCollectionTuple> stage, SortedMap<String, String> metadata,
        TupleTag<V> valuesTag, TupleTag<DeadLetter> deadTag, Values<V> values, Map<String, String> modelUris) {
      this.store = store;
      this.stage = stage;
      this.identity = ScoreStore.identity(metadata, modelUris);
      this.valuesTag = valuesTag;
      this.deadTag = deadTag;
      this.values = values;
    }

    /** What the fingerprint covers. */
    public SortedMap<String, String> identity() {
      return new TreeMap<>(identity);
    }

    /** This stage's folder in the store. */
    public String folder() {
      return store.folder(identity);
    }

    @Override
    public PCollectionTuple expand(PCollection<Document> docs) {
      String folder = folder();
      TupleTag<KV<String, V>> entriesTag = new TupleTag<>("entries") {};
      PCollectionTuple read = docs.getPipeline()
          .apply("MatchStore", FileIO.match().filepattern(folder + PART_PREFIX + "*" + SUFFIX)
              .withEmptyMatchTreatment(EmptyMatchTreatment.ALLOW))
          .apply("ReadableStoreFiles", FileIO.readMatches())
          .apply("ReadStore", ParDo.of(new ReadEntries<>(values, entriesTag)).withOutputTags(entriesTag, TupleTagList.of(SKIPPED_FILES)));
      PCollection<KV<String, V>> entries = read.get(entriesTag).setCoder(KvCoder.of(StringUtf8Coder.of(), values.coder()));

      TupleTag<V> hitsTag = new TupleTag<>("hits") {};
      TupleTag<Document> missesTag = new TupleTag<>("misses") {};
      TupleTag<KV<String, String>> missIdsTag = new TupleTag<>("missIds") {};
      PCollectionTuple looked = docs
          .apply("JoinStore", JoinById.of((Document d) -> textHash(d.text()), entries).withShards(store.shards))
          .apply("HitOrMiss", ParDo.of(new HitOrMiss<>(values, hitsTag, missesTag, missIdsTag))
              .withOutputTags(hitsTag, TupleTagList.of(missesTag).and(missIdsTag)));
      PCollection<V> hits = looked.get(hitsTag).setCoder(values.coder());
      PCollection<Document> misses = looked.get(missesTag).setCoder(Document.DocumentCoder.of());
      PCollection<KV<String, String>> missIds = looked.get(missIdsTag).setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()));

      PCollectionTuple scored = misses.apply("Score", stage);
      PCollection<V> fresh = scored.get(valuesTag);
      fresh.apply("WriteStore", ParDo.of(new WriteEntries<>(values, folder, identity, store.flushEntries)));
      PCollection<V> freshById = fresh
          .apply("JoinDocumentIds", JoinById.of(values::id, missIds).withShards(store.shards).withOneLeftPerId())
          .apply("ToDocumentIds", ParDo.of(new ToDocumentIds<>(values)))
          .setCoder(values.coder());
      PCollection<V> all = PCollectionList.of(hits).and(freshById).apply("HitsAndFresh", Flatten.pCollections());
      return PCollectionTuple.of(valuesTag, all)
          .and(deadTag, scored.get(deadTag))
          .and(SERVED, ids(hits, "ServedIds"))
          .and(SCORED, ids(freshById, "ScoredIds"))
          .and(SKIPPED_FILES, read.get(SKIPPED_FILES).setCoder(StringUtf8Coder.of()));
    }

    private PCollection<String> ids(PCollection<V> c, String name) {
      Values<V> v = values;
      return c.apply(name, ParDo.of(new DoFn<V, String>() {
        @ProcessElement
        public void process(@Element V e, OutputReceiver<String> out) {
          out.output(v.id(e));
        }
      })).setCoder(StringUtf8Coder.of());
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder.add(DisplayData.item("store", store.location).withLabel("Score store"))
          .add(DisplayData.item("folder", folder()).withLabel("This stage's entries"))
          .add(DisplayData.item("flushEntries", store.flushEntries).withLabel("Entries per file, at most"));
    }
  }

  /** Each store file's entries as (text hash, value); a file that cannot be read is skipped and named. */
  private static final class ReadEntries<V> extends DoFn<FileIO.ReadableFile, KV<String, V>> {
    private final Counter skipped = Metrics.counter(ScoreStore.class, "skippedFiles");
    private final Values<V> values;
    private final TupleTag<KV<String, V>> entriesTag;

    ReadEntries(Values<V> values, TupleTag<KV<String, V>> entriesTag) {
      this.values = values;
      this.entriesTag = entriesTag;
    }

    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, MultiOutputReceiver out) {
      String name = file.getMetadata().resourceId().toString();
      try {
        readFile(file.getMetadata().resourceId(), file.getMetadata().sizeBytes(), r -> {
          String hash = r.get("text").toString();
          out.get(entriesTag).output(KV.of(hash, values.read(r, hash)));
        });
      } catch (IOException | RuntimeException e) {
        LOG.warn("score store: skipping {}, which cannot be read ({}); its documents are scored again", name, e.toString());
        skipped.inc();
        out.get(SKIPPED_FILES).output(name + ": " + e);
      }
    }
  }

  /** A document with an entry → the entry under the document's id; without → the document under its text hash. */
  private static final class HitOrMiss<V> extends DoFn<JoinById.Joined<Document, V>, V> {
    private final Values<V> values;
    private final TupleTag<V> hitsTag;
    private final TupleTag<Document> missesTag;
    private final TupleTag<KV<String, String>> missIdsTag;

    HitOrMiss(Values<V> values, TupleTag<V> hitsTag, TupleTag<Document> missesTag, TupleTag<KV<String, String>> missIdsTag) {
      this.values = values;
      this.hitsTag = hitsTag;
      this.missesTag = missesTag;
      this.missIdsTag = missIdsTag;
    }

    @ProcessElement
    public void process(@Element JoinById.Joined<Document, V> j, MultiOutputReceiver out) {
      Document d = j.left();
      if (d == null) {
        return; // an entry for a text this corpus does not hold
      }
      if (!j.rights().isEmpty()) {
        out.get(hitsTag).output(values.withId(values.pick(j.rights()), d.id()));
        return;
      }
      Map<String, String> metadata = new HashMap<>(d.metadata());
      metadata.put(DOCUMENT_ID_FIELD, d.id());
      out.get(missesTag).output(Document.of(j.id(), d.text(), d.source(), metadata));
      out.get(missIdsTag).output(KV.of(j.id(), d.id()));
    }
  }

  /** A fresh output under its text hash → one copy per document id that holds the text. */
  private static final class ToDocumentIds<V> extends DoFn<JoinById.Joined<V, String>, V> {
    private final Values<V> values;

    ToDocumentIds(Values<V> values) {
      this.values = values;
    }

    @ProcessElement
    public void process(@Element JoinById.Joined<V, String> j, OutputReceiver<V> out) {
      if (j.left() == null) {
        return; // a miss the stage dead-lettered: its dead letter says why
      }
      for (String id : j.rights()) {
        out.output(values.withId(j.left(), id));
      }
    }
  }

  /**
   * Buffers fresh entries and writes them as a new file every {@code flushEntries} and at the end of
   * each bundle: Parquet under a temporary name, then renamed into place.
   */
  private static final class WriteEntries<V> extends DoFn<V, Void> {
    private final Counter written = Metrics.counter(ScoreStore.class, "entriesWritten");
    private final Counter files = Metrics.counter(ScoreStore.class, "filesWritten");
    private final Values<V> values;
    private final String folder;
    private final SortedMap<String, String> identity;
    private final int flushEntries;
    private transient List<V> buffer;
    private transient Schema schema;
    private transient boolean described;

    WriteEntries(Values<V> values, String folder, SortedMap<String, String> identity, int flushEntries) {
      this.values = values;
      this.folder = folder;
      this.identity = identity;
      this.flushEntries = flushEntries;
    }

    @Setup
    public void setup() {
      schema = values.schema();
    }

    @StartBundle
    public void start() {
      buffer = new ArrayList<>();
    }

    @ProcessElement
    public void process(@Element V v) throws IOException {
      buffer.add(v);
      if (buffer.size() >= flushEntries) {
        flush();
      }
    }

    @FinishBundle
    public void finish() throws IOException {
      flush();
    }

    private void flush() throws IOException {
      if (buffer.isEmpty()) {
        return;
      }
      describe();
      String name = UUID.randomUUID().toString();
      ResourceId dir = FileSystems.matchNewResource(folder, true);
      ResourceId tmp = dir.resolve(TMP_PREFIX + name + SUFFIX, ResolveOptions.StandardResolveOptions.RESOLVE_FILE);
      ResourceId part = dir.resolve(PART_PREFIX + name + SUFFIX, ResolveOptions.StandardResolveOptions.RESOLVE_FILE);
      FileIO.Sink<GenericRecord> sink = ParquetIO.sink(schema);
      try (WritableByteChannel channel = FileSystems.create(tmp, "application/octet-stream")) {
        sink.open(channel);
        for (V v : buffer) {
          GenericData.Record r = new GenericData.Record(schema);
          values.fill(v, r);
          sink.write(r);
        }
        sink.flush();
      }
      FileSystems.rename(List.of(tmp), List.of(part), MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
      written.inc(buffer.size());
      files.inc();
      buffer.clear();
    }

    /** Writes {@code fingerprint.json} (what the folder's fingerprint covers) once per folder. */
    private void describe() throws IOException {
      if (described) {
        return;
      }
      ResourceId dir = FileSystems.matchNewResource(folder, true);
      ResourceId file = dir.resolve("fingerprint.json", ResolveOptions.StandardResolveOptions.RESOLVE_FILE);
      if (FileSystems.match(file.toString(), EmptyMatchTreatment.ALLOW).metadata().isEmpty()) {
        String json = new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(identity);
        ResourceId tmp = dir.resolve(TMP_PREFIX + UUID.randomUUID() + ".json", ResolveOptions.StandardResolveOptions.RESOLVE_FILE);
        try (WritableByteChannel channel = FileSystems.create(tmp, "application/json")) {
          channel.write(java.nio.ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8)));
        }
        FileSystems.rename(List.of(tmp), List.of(file), MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
      }
      described = true;
    }
  }
}
