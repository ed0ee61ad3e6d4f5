package dev.dataselect.pipelines;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dataselect.pipelines.options.CompareJobOptions;
import dev.dataselect.pipelines.report.CompareHtml;
import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.Hashes;
import dev.dataselect.transforms.cluster.ClusterAssignment;
import dev.dataselect.transforms.cluster.DotKernel;
import dev.dataselect.transforms.cluster.KMeans;
import dev.dataselect.transforms.inference.ReadEmbeddings;
import dev.dataselect.transforms.inference.ReadScores;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.Impulse;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * {@code --job=compare}: how selections differ. For each pair of selections, the Jaccard overlap of
 * their kept ids; for each selection, its size, its mean quality score ({@code --qualityScores}),
 * its coverage (the mean L2 distance from {@code --coverageSample} corpus points, drawn by hash from
 * {@code --embeddingsCache}, to the nearest kept point; unit vectors) and, with {@code --clusters},
 * the fraction of each k-means cluster it keeps. Writes {@code compare.json} and {@code
 * compare.html} (the overlaps as a heat map, and the per-selection table) in {@code --output}, and
 * a {@code summary.json} from which {@code report/index.html} renders the same as its section.
 *
 * <p>One grouping by id brings together, per document, the selections that kept it, its quality
 * score, its embedding and its cluster; every figure is then a sum per key (a combiner), so no
 * selection is held on one machine. Coverage keeps, per selection, the largest cosine similarity of
 * each sample point to any kept point: a combine of {@code coverageSample} floats per selection,
 * {@code coverageSample x d} multiply-adds per kept document.
 */
final class CompareJob {
  private CompareJob() {}

  private static final long SAMPLE_SALT = 0x636f6d70L; // "comp"
  private static final TupleTag<Integer> KEPT = new TupleTag<>() {};
  private static final TupleTag<Double> QUALITY = new TupleTag<>() {};
  private static final TupleTag<Embedding> EMBEDDING = new TupleTag<>() {};
  private static final TupleTag<Integer> CLUSTER = new TupleTag<>() {};

  /** The selections {@code --selections} names: name to its selected-ids/ folder. */
  static Map<String, String> selections(String spec) {
    Map<String, String> out = new TreeMap<>();
    for (String dir : spec.split(",")) {
      String d = dir.trim();
      if (d.isEmpty()) {
        continue;
      }
      String base = d.endsWith("/") ? d : d + "/";
      if (!matches(base + "selected-ids/*")) {
        List<String> children = children(base + "selections/");
        checkArgument(!children.isEmpty(), "--selections: %s holds neither selected-ids/ nor selections/*/selected-ids/", d);
        for (String c : children) {
          out.put(c, base + "selections/" + c + "/selected-ids/");
        }
      } else {
        String name = base.substring(0, base.length() - 1);
        name = name.substring(name.lastIndexOf('/') + 1);
        checkArgument(!out.containsKey(name), "--selections names two selections %s", name);
        out.put(name, base + "selected-ids/");
      }
    }
    checkArgument(out.size() >= 2, "--selections needs at least two selections, got %s", out.keySet());
    return out;
  }

  private static boolean matches(String glob) {
    try {
      return !FileSystems.match(glob, EmptyMatchTreatment.ALLOW).metadata().isEmpty();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot list " + glob + ": " + e.getMessage(), e);
    }
  }

  private static List<String> children(String dir) {
    List<String> out = new ArrayList<>();
    try {
      for (MatchResult.Metadata m : FileSystems.match(dir + "*/selected-ids/*", EmptyMatchTreatment.ALLOW).metadata()) {
        ResourceId ids = m.resourceId().getCurrentDirectory();
        String path = ids.toString();
        String parent = path.substring(0, path.length() - "selected-ids/".length() - 1);
        String name = parent.substring(parent.lastIndexOf('/') + 1);
        if (!out.contains(name)) {
          out.add(name);
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    out.sort(null);
    return out;
  }

  static PipelineResult run(CompareJobOptions o) {
    FileSystems.setDefaultPipelineOptions(o);
    Map<String, String> selections = selections(o.getSelections());
    checkArgument(o.getCoverageSample() >= 1, "--coverageSample must be >= 1, got %s", o.getCoverageSample());
    checkArgument(o.getClusters() >= 0, "--clusters must be >= 0, got %s", o.getClusters());
    checkArgument(o.getClusters() == 0 || !o.getEmbeddingsCache().isEmpty(), "--clusters needs --embeddingsCache");
    List<String> names = new ArrayList<>(selections.keySet());
    long startMillis = System.currentTimeMillis();
    Pipeline p = Pipeline.create(o);
    List<PCollection<KV<String, Integer>>> kept = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      int index = i;
      kept.add(p.apply("Read " + names.get(i), TextIO.read().from(selections.get(names.get(i)) + "*"))
          .apply("Key " + names.get(i), MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.integers()))
              .via(id -> KV.of(id, index))));
    }
    KeyedPCollectionTuple<String> joined = KeyedPCollectionTuple.of(KEPT, PCollectionList.of(kept).apply("AllKept", Flatten.pCollections()));
    PCollectionView<float[]> sample = null;
    if (!o.getQualityScores().isEmpty()) {
      joined = joined.and(QUALITY, p.apply("ReadQuality", ReadScores.from(o.getQualityScores()))
          .apply("KeyQuality", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.doubles()))
              .via((DocumentScore s) -> KV.of(s.id(), s.score()))));
    }
    if (!o.getEmbeddingsCache().isEmpty()) {
      PCollection<Embedding> embeddings = p.apply("ReadEmbeddings", ReadEmbeddings.from(o.getEmbeddingsCache()));
      joined = joined.and(EMBEDDING, embeddings.apply("KeyEmbeddings",
          MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptor.of(Embedding.class))).via(e -> KV.of(e.id(), e))));
      sample = coverageSample(embeddings, o.getCoverageSample(), o.getSeed());
      if (o.getClusters() > 0) {
        PCollection<ClusterAssignment> clusters = embeddings.apply("KMeans", KMeans.of(o.getClusters()).withSeed(o.getSeed())).assignments();
        joined = joined.and(CLUSTER, clusters.apply("KeyClusters",
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.integers())).via(a -> KV.of(a.id(), a.cluster()))));
      }
    }
    PCollection<KV<String, CoGbkResult>> byId = joined.apply("GroupById", CoGroupByKey.create());
    PCollection<KV<String, Double>> sums = byId.apply("Figures", ParDo.of(new FiguresFn(names.size())))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), DoubleCoder.of()))
        .apply("Sum", Sum.doublesPerKey());
    List<PCollection<KV<String, Double>>> figures = new ArrayList<>(List.of(sums));
    if (sample != null) {
      PCollectionView<float[]> s = sample;
      figures.add(byId.apply("NearestKept", ParDo.of(new NearestKeptFn(s)).withSideInputs(s))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(float[].class)))
          .apply("MaxSimilarities", Combine.perKey(new MaxFloats()))
          .apply("Coverage", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.doubles()))
              .via(kv -> KV.of("coverage|" + kv.getKey(), meanDistance(kv.getValue())))));
    }
    PCollectionList.of(figures).apply("AllFigures", Flatten.pCollections())
        .apply("OneMap", Combine.globally(new ToMap()))
        .apply("Write", ParDo.of(new WriteFn(names, o.getOutput(), !o.getQualityScores().isEmpty(), sample != null, o.getClusters(),
            SelectJob.optionsJson(o, CompareJobOptions.class), startMillis)));
    return p.run();
  }

  /** The points coverage is measured from: about {@code size} embeddings drawn by hash, as one row-major float matrix of unit vectors. */
  private static PCollectionView<float[]> coverageSample(PCollection<Embedding> embeddings, int size, long seed) {
    PCollectionView<Long> total = embeddings.apply("CountEmbeddings", Count.globally()).apply("TotalView", View.asSingleton());
    PCollectionView<List<Embedding>> list = embeddings
        .apply("SampleByHash", ParDo.of(new SampleFn(total, size, seed)).withSideInputs(total))
        .apply("SampleList", View.asList());
    return embeddings.getPipeline()
        .apply("SampleImpulse", Impulse.create())
        .apply("SampleMatrix", ParDo.of(new SampleMatrixFn(list)).withSideInputs(list))
        .setCoder(SerializableCoder.of(float[].class))
        .apply("SampleView", View.asSingleton());
  }

  private static final class SampleFn extends DoFn<Embedding, Embedding> {
    private final PCollectionView<Long> total;
    private final int size;
    private final long seed;

    SampleFn(PCollectionView<Long> total, int size, long seed) {
      this.total = total;
      this.size = size;
      this.seed = seed;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      long n = c.sideInput(total);
      if (Hashes.unit(c.element().id(), seed ^ SAMPLE_SALT) < (double) size / Math.max(1, n)) {
        c.output(c.element());
      }
    }
  }

  /** The sample's unit vectors, row-major. */
  private static final class SampleMatrixFn extends DoFn<byte[], float[]> {
    private final PCollectionView<List<Embedding>> list;

    SampleMatrixFn(PCollectionView<List<Embedding>> list) {
      this.list = list;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      List<Embedding> points = c.sideInput(list);
      int d = points.isEmpty() ? 0 : points.get(0).dimension();
      float[] m = new float[points.size() * d];
      for (int i = 0; i < points.size(); i++) {
        checkArgument(points.get(i).dimension() == d, "embeddings of dimension %s and %s", d, points.get(i).dimension());
        points.get(i).copyTo(m, i * d);
        DotKernel.normalize(m, i * d, d);
      }
      c.output(m);
    }
  }

  private static double meanDistance(float[] maxSimilarity) {
    double s = 0;
    for (float v : maxSimilarity) {
      s += Math.sqrt(Math.max(0, 2 - 2 * (double) v));
    }
    return maxSimilarity.length == 0 ? Double.NaN : s / maxSimilarity.length;
  }

  /** The values under {@code tag}, none when the job joined no such input. */
  private static <T> Iterable<T> all(CoGbkResult r, TupleTag<T> tag) {
    return r.getSchema().getTupleTagList().getAll().contains(tag) ? r.getAll(tag) : List.of();
  }

  /** Per document: counts per selection and pair, quality sums, cluster totals and retention. */
  private static final class FiguresFn extends DoFn<KV<String, CoGbkResult>, KV<String, Double>> {
    private final int selections;

    FiguresFn(int selections) {
      this.selections = selections;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> e, OutputReceiver<KV<String, Double>> out) {
      boolean[] in = new boolean[selections];
      for (Integer i : e.getValue().getAll(KEPT)) {
        in[i] = true;
      }
      Double quality = null;
      for (Double q : all(e.getValue(), QUALITY)) {
        quality = q;
      }
      Integer cluster = null;
      for (Integer c : all(e.getValue(), CLUSTER)) {
        cluster = c;
      }
      if (cluster != null) {
        out.output(KV.of("clusterSize|" + cluster, 1.0));
      }
      for (int i = 0; i < selections; i++) {
        if (!in[i]) {
          continue;
        }
        out.output(KV.of("kept|" + i, 1.0));
        if (quality != null && Double.isFinite(quality)) {
          out.output(KV.of("qualitySum|" + i, quality));
          out.output(KV.of("qualityCount|" + i, 1.0));
        }
        if (cluster != null) {
          out.output(KV.of("clusterKept|" + i + "|" + cluster, 1.0));
        }
        for (int j = i + 1; j < selections; j++) {
          if (in[j]) {
            out.output(KV.of("both|" + i + "|" + j, 1.0));
          }
        }
      }
    }
  }

  /**
   * Per selection: the largest similarity of each coverage sample point to a document it kept, over
   * the bundle (one array per selection and bundle goes to the combine).
   */
  private static final class NearestKeptFn extends DoFn<KV<String, CoGbkResult>, KV<String, float[]>> {
    private final PCollectionView<float[]> sample;
    private transient Map<Integer, float[]> best;

    NearestKeptFn(PCollectionView<float[]> sample) {
      this.sample = sample;
    }

    @StartBundle
    public void start() {
      best = new TreeMap<>();
    }

    @ProcessElement
    public void process(ProcessContext c) {
      Embedding e = null;
      for (Embedding x : c.element().getValue().getAll(EMBEDDING)) {
        e = x;
      }
      if (e == null) {
        return;
      }
      java.util.Set<Integer> keptBy = new java.util.TreeSet<>();
      c.element().getValue().getAll(KEPT).forEach(keptBy::add);
      if (keptBy.isEmpty()) {
        return;
      }
      float[] s = c.sideInput(sample);
      int d = e.dimension();
      int m = d == 0 ? 0 : s.length / d;
      float[] u = new float[d];
      e.copyTo(u, 0);
      DotKernel.normalize(u, 0, d);
      float[] sims = new float[m];
      for (int j = 0; j < m; j++) {
        double dot = 0;
        for (int t = 0; t < d; t++) {
          dot += (double) u[t] * s[j * d + t];
        }
        sims[j] = (float) dot;
      }
      for (Integer i : keptBy) {
        float[] b = best.get(i);
        if (b == null) {
          best.put(i, sims.clone());
        } else {
          for (int j = 0; j < m; j++) {
            b[j] = Math.max(b[j], sims[j]);
          }
        }
      }
    }

    @FinishBundle
    public void finish(FinishBundleContext c) {
      for (Map.Entry<Integer, float[]> e : best.entrySet()) {
        c.output(KV.of(String.valueOf(e.getKey()), e.getValue()), GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
      }
      best = new TreeMap<>();
    }
  }

  /** Element-wise max of float arrays of one length. */
  private static final class MaxFloats extends Combine.BinaryCombineFn<float[]> {
    @Override
    public float[] apply(float[] a, float[] b) {
      float[] out = a.clone();
      for (int i = 0; i < out.length; i++) {
        out[i] = Math.max(out[i], b[i]);
      }
      return out;
    }
  }

  /** Every figure into one sorted map (a few numbers per selection, pair and cluster). */
  private static final class ToMap extends Combine.CombineFn<KV<String, Double>, TreeMap<String, Double>, TreeMap<String, Double>> {
    @Override
    public TreeMap<String, Double> createAccumulator() {
      return new TreeMap<>();
    }

    @Override
    public TreeMap<String, Double> addInput(TreeMap<String, Double> acc, KV<String, Double> kv) {
      acc.merge(kv.getKey(), kv.getValue(), Double::sum);
      return acc;
    }

    @Override
    public TreeMap<String, Double> mergeAccumulators(Iterable<TreeMap<String, Double>> accs) {
      TreeMap<String, Double> out = new TreeMap<>();
      accs.forEach(a -> a.forEach((k, v) -> out.merge(k, v, Double::sum)));
      return out;
    }

    @Override
    public TreeMap<String, Double> extractOutput(TreeMap<String, Double> acc) {
      return acc;
    }
  }

  /**
   * Writes compare.json and compare.html from the figures, and summary.json (the comparison, the
   * options, the wall time) from which the run report renders its comparison section.
   */
  private static final class WriteFn extends DoFn<TreeMap<String, Double>, Void> {
    private final List<String> names;
    private final String output;
    private final boolean quality;
    private final boolean coverage;
    private final int clusters;
    private final String options;
    private final long startMillis;

    WriteFn(List<String> names, String output, boolean quality, boolean coverage, int clusters, String options, long startMillis) {
      this.names = names;
      this.output = output;
      this.quality = quality;
      this.coverage = coverage;
      this.clusters = clusters;
      this.options = options;
      this.startMillis = startMillis;
    }

    @ProcessElement
    public void process(@Element TreeMap<String, Double> f) throws IOException {
      ObjectMapper mapper = new ObjectMapper();
      ObjectNode json = compareJson(names, f, quality, coverage, clusters);
      write(SelectJob.resolve(output, "compare.json"), mapper.writerWithDefaultPrettyPrinter().writeValueAsString(json));
      write(SelectJob.resolve(output, "compare.html"), CompareHtml.render(json));
      ObjectNode summary = mapper.createObjectNode();
      summary.set("comparison", json);
      summary.set("options", mapper.readTree(options));
      summary.put("wallSeconds", (System.currentTimeMillis() - startMillis) / 1000.0);
      write(SelectJob.resolve(output, "summary.json"), mapper.writerWithDefaultPrettyPrinter().writeValueAsString(summary));
    }

    private static void write(String path, String text) throws IOException {
      try (OutputStream out = Channels.newOutputStream(FileSystems.create(FileSystems.matchNewResource(path, false), "text/plain"))) {
        out.write(text.getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  /** The JSON of the figures: {@code selections} (per name) and {@code overlaps} (per pair). */
  static ObjectNode compareJson(List<String> names, Map<String, Double> f, boolean quality, boolean coverage, int clusters) {
    ObjectNode json = new ObjectMapper().createObjectNode();
    ObjectNode sel = json.putObject("selections");
    for (int i = 0; i < names.size(); i++) {
      ObjectNode s = sel.putObject(names.get(i));
      long kept = Math.round(f.getOrDefault("kept|" + i, 0.0));
      s.put("selected", kept);
      if (quality) {
        double count = f.getOrDefault("qualityCount|" + i, 0.0);
        s.put("meanQuality", count == 0 ? Double.NaN : f.getOrDefault("qualitySum|" + i, 0.0) / count);
        s.put("withQuality", Math.round(count));
      }
      if (coverage) {
        s.put("coverageMeanDistance", f.getOrDefault("coverage|" + i, Double.NaN));
      }
      if (clusters > 0) {
        ObjectNode r = s.putObject("retentionPerCluster");
        for (int c = 0; c < clusters; c++) {
          double size = f.getOrDefault("clusterSize|" + c, 0.0);
          if (size > 0) {
            r.put(String.valueOf(c), f.getOrDefault("clusterKept|" + i + "|" + c, 0.0) / size);
          }
        }
      }
    }
    ObjectNode overlaps = json.putObject("overlaps");
    for (int i = 0; i < names.size(); i++) {
      for (int j = i + 1; j < names.size(); j++) {
        double both = f.getOrDefault("both|" + i + "|" + j, 0.0);
        double union = f.getOrDefault("kept|" + i, 0.0) + f.getOrDefault("kept|" + j, 0.0) - both;
        ObjectNode o = overlaps.putObject(names.get(i) + " | " + names.get(j));
        o.put("intersection", Math.round(both));
        o.put("union", Math.round(union));
        o.put("jaccard", union == 0 ? Double.NaN : both / union);
      }
    }
    if (coverage) {
      json.put("coverage", "mean L2 distance from each coverage-sample point to its nearest kept point (unit vectors; lower covers better)");
    }
    return json;
  }

}
