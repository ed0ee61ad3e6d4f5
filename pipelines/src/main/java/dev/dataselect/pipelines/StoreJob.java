package dev.dataselect.pipelines;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dataselect.pipelines.options.StoreJobOptions;
import dev.dataselect.transforms.inference.ScoreStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Distinct;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.Keys;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * {@code --job=store --scoreStore=DIR --action=stats|compact}: housekeeping of a score store, as a
 * Beam job (a store of 10⁹ entries is read in parallel, file by file; nothing holds it whole).
 *
 * <ul>
 *   <li>{@code stats}: per fingerprint folder, entries, distinct texts, duplicates (a retried bundle,
 *       or two runs that scored the same text), files, bytes and unreadable files, in {@code
 *       <output>/store-stats.json}.
 *   <li>{@code compact}: each folder's entries grouped by text hash, one kept per text (the
 *       smallest encoding, so every run keeps the same), written as {@code ceil(bytes /
 *       --compactFileBytes)} files {@code part-compacted-<run>-SSSSS-of-NNNNN.parquet}; after the
 *       job succeeds, the files it listed at launch (unreadable ones too) are deleted. Files a
 *       concurrent run writes meanwhile are neither read nor deleted; readers that run during the
 *       compaction see some entries twice, which they handle anyway.
 * </ul>
 */
final class StoreJob {
  static final String STATS_FILE = "store-stats.json";

  private StoreJob() {}

  /** The job as built: the pipeline, and the files it read (deleted after a compaction succeeds). */
  static final class Plan {
    final Pipeline pipeline;
    final List<MatchResult.Metadata> files;
    final StoreJobOptions options;

    Plan(Pipeline pipeline, List<MatchResult.Metadata> files, StoreJobOptions options) {
      this.pipeline = pipeline;
      this.files = files;
      this.options = options;
    }

    /** After the job succeeded: a compaction deletes the files it read; returns what to print. */
    String finish() throws IOException {
      if (options.getAction() == StoreJobOptions.Action.COMPACT) {
        List<ResourceId> read = new ArrayList<>();
        files.forEach(m -> read.add(m.resourceId()));
        FileSystems.delete(read, MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
        return "compacted " + files.size() + " files of " + options.getScoreStore();
      }
      String stats = SelectJob.resolve(options.getOutput(), STATS_FILE);
      try (InputStream in = Channels.newInputStream(FileSystems.open(FileSystems.matchSingleFileSpec(stats).resourceId()))) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8) + "\nstats: " + stats;
      }
    }
  }

  static Plan plan(StoreJobOptions o) throws IOException {
    checkArgument(!o.getScoreStore().isEmpty(), "--job=store needs --scoreStore=DIR");
    checkArgument(o.getCompactFileBytes() >= 1 << 20, "--compactFileBytes must be >= 1 MiB, got %s", o.getCompactFileBytes());
    FileSystems.setDefaultPipelineOptions(o);
    ScoreStore store = ScoreStore.at(o.getScoreStore());
    List<MatchResult.Metadata> files = new ArrayList<>(FileSystems.match(store.allParts(), EmptyMatchTreatment.ALLOW).metadata());
    files.sort((a, b) -> a.resourceId().toString().compareTo(b.resourceId().toString()));
    Map<String, long[]> perFolder = new TreeMap<>(); // folder → {files, bytes}
    for (MatchResult.Metadata m : files) {
      long[] fb = perFolder.computeIfAbsent(ScoreStore.folderOf(m.resourceId().toString()), f -> new long[2]);
      fb[0]++;
      fb[1] += m.sizeBytes();
    }
    Pipeline p = Pipeline.create(o);
    List<String> names = files.stream().map(m -> m.resourceId().toString()).toList();
    PCollection<String> paths = p.apply("StoreFiles", Create.of(names).withCoder(StringUtf8Coder.of()))
        .apply("SpreadFiles", Reshuffle.viaRandomKey());
    // (folder \t text hash, the entry's Avro encoding); "\u0000unreadable" keys count files that failed
    PCollection<KV<String, byte[]>> entries = paths.apply("ReadEntries", ParDo.of(new ReadEntries()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), ByteArrayCoder.of()));
    if (o.getAction() == StoreJobOptions.Action.STATS) {
      stats(entries, perFolder, SelectJob.resolve(o.getOutput(), STATS_FILE));
    } else {
      compact(entries, perFolder, o.getCompactFileBytes());
    }
    return new Plan(p, files, o);
  }

  /** The text-hash part of the one key an unreadable file gives. */
  private static final String UNREADABLE = "\t\u0000unreadable";

  private static void stats(PCollection<KV<String, byte[]>> entries, Map<String, long[]> perFolder, String out) {
    PCollection<String> keys = entries.apply("EntryKeys", Keys.create());
    PCollection<KV<String, Long>> counts = keys
        .apply("FolderOfEntry", MapElements.into(TypeDescriptors.strings())
            .via(k -> k.substring(0, k.indexOf('\t')) + (k.endsWith(UNREADABLE) ? "\tunreadable" : "\tentries")))
        .apply("CountEntries", Count.perElement());
    PCollection<KV<String, Long>> distinct = keys
        .apply("ReadableOnly", Filter.by(k -> !k.endsWith(UNREADABLE)))
        .apply("DistinctTexts", Distinct.create())
        .apply("FolderOfText", MapElements.into(TypeDescriptors.strings()).via(k -> k.substring(0, k.indexOf('\t')) + "\tdistinct"))
        .apply("CountDistinct", Count.perElement());
    PCollectionView<Map<String, Long>> all = PCollectionList.of(counts).and(distinct)
        .apply("AllCounts", Flatten.pCollections())
        .apply("CountsView", View.asMap());
    entries.getPipeline().apply("Once", Create.of(1))
        .apply("WriteStats", ParDo.of(new WriteStats(all, perFolder, out)).withSideInputs(all));
  }

  private static final class WriteStats extends DoFn<Integer, Void> {
    private final PCollectionView<Map<String, Long>> counts;
    private final Map<String, long[]> perFolder;
    private final String out;

    WriteStats(PCollectionView<Map<String, Long>> counts, Map<String, long[]> perFolder, String out) {
      this.counts = counts;
      this.perFolder = new TreeMap<>(perFolder);
      this.out = out;
    }

    @ProcessElement
    public void process(ProcessContext c) throws IOException {
      Map<String, Long> n = c.sideInput(counts);
      ObjectMapper mapper = new ObjectMapper();
      ObjectNode root = mapper.createObjectNode();
      ObjectNode folders = root.putObject("folders");
      long entries = 0;
      long duplicates = 0;
      for (Map.Entry<String, long[]> f : perFolder.entrySet()) {
        long unreadable = n.getOrDefault(f.getKey() + "\tunreadable", 0L);
        long all = n.getOrDefault(f.getKey() + "\tentries", 0L);
        long distinct = n.getOrDefault(f.getKey() + "\tdistinct", 0L);
        ObjectNode node = folders.putObject(f.getKey());
        node.put("entries", all).put("distinctTexts", distinct).put("duplicates", all - distinct)
            .put("files", f.getValue()[0]).put("bytes", f.getValue()[1]).put("unreadableFiles", unreadable);
        String fp = f.getKey() + "fingerprint.json";
        try (InputStream in = Channels.newInputStream(FileSystems.open(FileSystems.matchSingleFileSpec(fp).resourceId()))) {
          node.set("fingerprint", mapper.readTree(in));
        } catch (IOException e) {
          node.put("fingerprint", "(no fingerprint.json)");
        }
        entries += all;
        duplicates += all - distinct;
      }
      root.put("entries", entries);
      root.put("duplicates", duplicates);
      root.put("files", perFolder.values().stream().mapToLong(v -> v[0]).sum());
      root.put("bytes", perFolder.values().stream().mapToLong(v -> v[1]).sum());
      try (OutputStream o = Channels.newOutputStream(FileSystems.create(FileSystems.matchNewResource(out, false), "application/json"))) {
        o.write(mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
      }
    }
  }

  private static void compact(PCollection<KV<String, byte[]>> entries, Map<String, long[]> perFolder, long fileBytes) {
    String run = UUID.randomUUID().toString().substring(0, 8);
    PCollection<KV<String, byte[]>> kept = entries
        .apply("ReadableEntries", Filter.by(kv -> !kv.getKey().endsWith(UNREADABLE)))
        .apply("ByText", GroupByKey.create())
        .apply("OnePerText", ParDo.of(new DoFn<KV<String, Iterable<byte[]>>, KV<String, byte[]>>() {
          @ProcessElement
          public void process(@Element KV<String, Iterable<byte[]>> e, OutputReceiver<KV<String, byte[]>> out) {
            byte[] best = null;
            for (byte[] b : e.getValue()) {
              if (best == null || Arrays.compare(b, best) < 0) {
                best = b;
              }
            }
            out.output(KV.of(e.getKey().substring(0, e.getKey().indexOf('\t')), best));
          }
        }))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), ByteArrayCoder.of()));
    for (Map.Entry<String, long[]> f : perFolder.entrySet()) {
      String folder = f.getKey();
      String name = folder.substring(0, folder.length() - 1);
      name = name.substring(name.lastIndexOf('/') + 1);
      Schema schema = ScoreStore.schemaOf(folder);
      String schemaJson = schema.toString();
      int shards = (int) Math.max(1, Math.min(10_000, (f.getValue()[1] + fileBytes - 1) / fileBytes));
      kept.apply("Of " + name, Filter.by(kv -> kv.getKey().equals(folder)))
          .apply("Write " + name, FileIO.<KV<String, byte[]>>write()
              .via(org.apache.beam.sdk.transforms.Contextful.fn(kv -> decode(kv.getValue(), schemaJson)), ParquetIO.sink(schema))
              .to(folder)
              .withPrefix(ScoreStore.PART_PREFIX + "compacted-" + run)
              .withSuffix(ScoreStore.SUFFIX)
              .withNumShards(shards));
    }
  }

  private static GenericRecord decode(byte[] bytes, String schemaJson) {
    try {
      Schema schema = new Schema.Parser().parse(schemaJson);
      return new GenericDatumReader<GenericRecord>(schema).read(null, DecoderFactory.get().binaryDecoder(bytes, null));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A store file's entries as (folder \t text hash, Avro encoding); an unreadable file as one key. */
  private static final class ReadEntries extends DoFn<String, KV<String, byte[]>> {
    @ProcessElement
    public void process(@Element String file, OutputReceiver<KV<String, byte[]>> out) throws IOException {
      String folder = ScoreStore.folderOf(file);
      Schema schema = ScoreStore.schemaOf(folder);
      MatchResult.Metadata m = FileSystems.matchSingleFileSpec(file);
      List<KV<String, byte[]>> read = new ArrayList<>();
      GenericDatumWriter<GenericRecord> writer = new GenericDatumWriter<>(schema);
      try {
        ScoreStore.readFile(m.resourceId(), m.sizeBytes(), r -> {
          try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            BinaryEncoder enc = EncoderFactory.get().binaryEncoder(bytes, null);
            writer.write(r, enc);
            enc.flush();
            read.add(KV.of(folder + "\t" + r.get("text"), bytes.toByteArray()));
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
      } catch (IOException | RuntimeException e) {
        out.output(KV.of(folder + UNREADABLE, new byte[0]));
        return;
      }
      read.forEach(out::output);
    }
  }

  static PipelineResult run(StoreJobOptions o) throws IOException {
    return plan(o).pipeline.run();
  }
}
