package dev.dataselect.pipelines.report;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.Hashes;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.CombineWithContext;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Top;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Collects what the run report shows and adds the transforms that compute it to the pipeline: every
 * figure is reduced inside the pipeline by small combiners (histograms, top/bottom k, counts
 * per source file and language), and each lands as one small JSON file under {@code
 * <output>/report/data/}. Nothing gathers scores or documents on one machine, so it scales with the job.
 * {@link ReportPage#render} then turns those files and {@code summary.json} into {@code report/index.html}.
 *
 * <pre>{@code
 * RunReport.to(out)
 *     .scores("density", Scale.POSITIVE, densities)          // (id, score)
 *     .decisions("density@0.2", "density", kept, dropped)    // (id, score) of kept / dropped documents
 *     .documents(candidates).selected(selected)
 *     .apply();
 * }</pre>
 *
 * <p>A score's histograms take two passes over its (id, score) pairs, both small combines: its exact
 * min and max (over the score and its decisions' kept and dropped scores), then {@value
 * Histogram#BINS} bins fitted to that range, the range a side input, so the score's histogram and
 * every kept/dropped overlay share their bin edges (see {@link Histogram}).
 *
 * <p>The files: {@code histogram-<score>.json}, {@code decisions-<label>.json}, {@code examples.json},
 * {@code counts.json}. {@link Timings#write} adds {@code timings.json} from the launcher.
 */
public final class RunReport {
  /** How a score's histogram is binned. */
  public enum Scale {
    /** A probability, like ASK-LLM's P(yes): {@value Histogram#BINS} equal bins between the smallest and largest value. */
    PROBABILITY,
    /** A positive score, like a density or a perplexity: {@value Histogram#BINS} log-spaced bins between the smallest and largest value. */
    POSITIVE,
    /** Any finite value, like a word count or a fraction of lines: {@value Histogram#BINS} equal bins between the smallest and largest value. */
    LINEAR
  }

  /** The kept and dropped (id, score) of {@link #splitLikeRandom}. */
  public static final TupleTag<DocumentScore> KEPT = new TupleTag<>("kept") {};
  public static final TupleTag<DocumentScore> DROPPED = new TupleTag<>("dropped") {};

  /** Top and bottom examples per score. */
  public static final int DEFAULT_EXAMPLES = 5;
  /** Characters of text shown per example. */
  public static final int SNIPPET_CHARS = 300;
  /** Metadata fields taken as the document's language, first present wins (case-insensitive). */
  public static final List<String> LANGUAGE_FIELDS = List.of("language", "lang", "lid", "language_code");

  private final String dataDir;
  private final Map<String, Scale> scales = new LinkedHashMap<>();
  private final Map<String, PCollection<DocumentScore>> scores = new LinkedHashMap<>();
  /** Per score, a label and (id, related id): the examples of that score show the related document beside each. */
  private final Map<String, KV<String, PCollection<KV<String, String>>>> related = new LinkedHashMap<>();
  private final List<Decision> decisions = new ArrayList<>();
  @Nullable private PCollection<Document> documents;
  @Nullable private PCollection<Document> selected;
  private int examples = DEFAULT_EXAMPLES;
  private boolean applied;

  private RunReport(String dataDir) {
    this.dataDir = dataDir;
  }

  /** A report of the job writing into {@code output} (local or gs://). */
  public static RunReport to(String output) {
    checkArgument(output != null && !output.isEmpty(), "output must name a folder, got '%s'", output);
    return new RunReport(dataDir(output));
  }

  /** {@code <output>/report/data/}. */
  static String dataDir(String output) {
    return (output.endsWith("/") ? output : output + "/") + "report/data/";
  }

  /** A score of every scored document, (id, score): its histogram and its top and bottom examples. */
  public RunReport scores(String name, Scale scale, PCollection<DocumentScore> idScores) {
    checkArgument(name != null && name.matches("[A-Za-z0-9_.-]+"), "score name must match [A-Za-z0-9_.-]+, got '%s'", name);
    checkArgument(!scores.containsKey(name), "score '%s' is already in the report", name);
    scales.put(name, scale);
    scores.put(name, idScores);
    return this;
  }

  /**
   * The kept and dropped documents of one sampler at one rate, each as (id, score) with the score
   * {@code scoreName} (registered by {@link #scores}): their histograms overlaid. {@code label}
   * names the decision, e.g. {@code density@0.2}.
   */
  public RunReport decisions(
      String label, String scoreName, PCollection<DocumentScore> kept, PCollection<DocumentScore> dropped) {
    checkArgument(label != null && !label.isEmpty(), "label must not be empty");
    checkArgument(decisions.stream().noneMatch(d -> d.label.equals(label)), "decision '%s' is already in the report", label);
    decisions.add(new Decision(label, scoreName, kept, dropped));
    return this;
  }

  /**
   * For the examples of score {@code score}: each example whose id has a related id here (e.g.
   * SemDeDup's nearest preceding document) shows that document too, under {@code label}.
   */
  public RunReport related(String score, String label, PCollection<KV<String, String>> idToRelated) {
    checkArgument(!related.containsKey(score), "score '%s' already has related documents", score);
    related.put(score, KV.of(label, idToRelated));
    return this;
  }

  /** The documents that entered selection: counts per source file and language, and example snippets. */
  public RunReport documents(PCollection<Document> docs) {
    this.documents = docs;
    return this;
  }

  /** The selected documents: kept counts per source file and language. */
  public RunReport selected(PCollection<Document> docs) {
    this.selected = docs;
    return this;
  }

  /** Top and bottom examples per score, in [0, 100]; default {@value #DEFAULT_EXAMPLES}. */
  public RunReport withExamples(int k) {
    checkArgument(k >= 0 && k <= 100, "examples must be in [0, 100], got %s", k);
    this.examples = k;
    return this;
  }

  /** Adds the report's transforms to the pipeline; call once, after the collections are registered. */
  public void apply() {
    checkState(!applied, "RunReport.apply() was already called");
    applied = true;
    for (Decision d : decisions) {
      checkArgument(scales.containsKey(d.scoreName),
          "decision '%s' uses score '%s', which is not in the report: register it with scores() (have %s)",
          d.label, d.scoreName, scales.keySet());
    }
    for (Map.Entry<String, PCollection<DocumentScore>> s : scores.entrySet()) {
      String name = s.getKey();
      Scale scale = scales.get(name);
      List<Decision> ofScore = decisions.stream().filter(d -> d.scoreName.equals(name)).toList();
      PCollectionView<Histogram.Range> range = range(name, scale, s.getValue(), ofScore);
      ObjectNode meta = header("histogram").put("score", name).put("scale", scale.name());
      histogram("Report " + name + " histogram", meta, scale, range,
          List.of(tagged("all", s.getValue(), "Report " + name)), dataDir + "histogram-" + name + ".json");
      for (Decision d : ofScore) {
        ObjectNode dmeta = header("decisions").put("label", d.label).put("score", d.scoreName).put("scale", scale.name());
        String step = "Report " + d.label;
        histogram(step + " kept vs dropped", dmeta, scale, range,
            List.of(tagged("kept", d.kept, step + " kept"), tagged("dropped", d.dropped, step + " dropped")),
            dataDir + "decisions-" + fileName(d.label) + ".json");
      }
    }
    if (documents != null) {
      counts();
      if (examples > 0 && !scores.isEmpty()) {
        examples();
      }
    }
  }

  /**
   * Splits (id, score) by the random sampler's rule, {@code Hashes.unit(id, seed) < rate}, into
   * {@link #KEPT} and {@link #DROPPED}: the scores of what {@code Select.random} kept, without a join.
   */
  public static PTransform<PCollection<DocumentScore>, PCollectionTuple> splitLikeRandom(double rate, long seed) {
    checkArgument(rate >= 0 && rate <= 1, "rate must be in [0, 1], got %s", rate);
    return new PTransform<>() {
      @Override
      public PCollectionTuple expand(PCollection<DocumentScore> in) {
        PCollectionTuple out = in.apply("SplitByHash", ParDo.of(new DoFn<DocumentScore, DocumentScore>() {
          @ProcessElement
          public void process(@Element DocumentScore s, MultiOutputReceiver o) {
            o.get(Hashes.keep(s.id(), seed, rate) ? KEPT : DROPPED).output(s);
          }
        }).withOutputTags(KEPT, TupleTagList.of(DROPPED)));
        out.get(KEPT).setCoder(DocumentScore.DocumentScoreCoder.of());
        out.get(DROPPED).setCoder(DocumentScore.DocumentScoreCoder.of());
        return out;
      }
    };
  }

  private static ObjectNode header(String kind) {
    return new ObjectMapper().createObjectNode().put("kind", kind);
  }

  static String fileName(String label) {
    return label.replaceAll("[^A-Za-z0-9_.@=-]", "_");
  }

  private static PCollection<KV<String, Double>> tagged(String series, PCollection<DocumentScore> scores, String step) {
    return scores.apply(step + " as " + series, MapElements
        .into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.doubles()))
        .via(s -> KV.of(series, s.score())));
  }

  /**
   * The first pass: the exact range of the score over everything drawn against it (the score and the
   * kept and dropped scores of its decisions), as a singleton side input of a few bytes, so that all
   * of the score's histograms share one set of bin edges.
   */
  private static PCollectionView<Histogram.Range> range(String name, Scale scale, PCollection<DocumentScore> scores, List<Decision> decisions) {
    String step = "Report " + name + " range";
    List<PCollection<DocumentScore>> all = new ArrayList<>();
    all.add(scores);
    for (Decision d : decisions) {
      all.add(d.kept);
      all.add(d.dropped);
    }
    PCollection<DocumentScore> flat = all.size() == 1 ? scores : PCollectionList.of(all).apply(step + " flatten", Flatten.pCollections());
    return flat
        .apply(step + " values", MapElements.into(TypeDescriptors.doubles()).via(DocumentScore::score))
        .apply(step, Combine.globally(new Histogram.RangeFn(scale)).asSingletonView());
  }

  private static void histogram(String step, ObjectNode meta, Scale scale, PCollectionView<Histogram.Range> range,
      List<PCollection<KV<String, Double>>> series, String path) {
    PCollection<KV<String, Double>> all = series.size() == 1
        ? series.get(0)
        : PCollectionList.of(series).apply(step + " flatten", Flatten.pCollections());
    all.apply(step, Combine.globally(new HistogramsFn(scale, seriesNames(series.size()), range)).withSideInputs(range))
        .apply(step + " write", ParDo.of(new WriteJsonFn(path, meta.toString())));
  }

  private static List<String> seriesNames(int n) {
    return n == 1 ? List.of("all") : List.of("kept", "dropped");
  }

  /** Counts per source file and per language, of all documents and of the selected ones. */
  private void counts() {
    List<PCollection<String>> keys = new ArrayList<>();
    keys.add(documents.apply("Report count keys", FlatMapElements.into(TypeDescriptors.strings()).via(d -> countKeys("documents", d))));
    if (selected != null) {
      keys.add(selected.apply("Report selected count keys", FlatMapElements.into(TypeDescriptors.strings()).via(d -> countKeys("selected", d))));
    }
    PCollectionList.of(keys)
        .apply("Report count keys flatten", Flatten.pCollections())
        .apply("Report count per key", Count.perElement())
        .apply("Report counts", Combine.globally(new dev.dataselect.pipelines.WriteSummary.ToMap()))
        .apply("Report counts write", ParDo.of(new WriteCountsFn(dataDir + "counts.json", selected != null)));
  }

  /** {@code set \t kind \t value}: the document's source file and, when known, its language. */
  static List<String> countKeys(String set, Document d) {
    List<String> out = new ArrayList<>(2);
    out.add(set + "\tsource\t" + sourceFile(d.source()));
    String lang = language(d);
    if (lang != null) {
      out.add(set + "\tlanguage\t" + lang);
    }
    return out;
  }

  /** {@code path#index} → {@code path}. */
  static String sourceFile(String source) {
    int hash = source.lastIndexOf('#');
    return hash > 0 ? source.substring(0, hash) : source;
  }

  @Nullable
  static String language(Document d) {
    for (String field : LANGUAGE_FIELDS) {
      for (Map.Entry<String, String> e : d.metadata().entrySet()) {
        if (e.getKey().equalsIgnoreCase(field) && !e.getValue().isBlank()) {
          return e.getValue().trim();
        }
      }
    }
    return null;
  }

  /** Top and bottom k by each score, with snippets of their text joined from the documents. */
  private void examples() {
    List<PCollection<String>> picks = new ArrayList<>();
    for (Map.Entry<String, PCollection<DocumentScore>> s : scores.entrySet()) {
      String name = s.getKey();
      for (boolean top : new boolean[] {true, false}) {
        String end = top ? "top" : "bottom";
        picks.add(s.getValue()
            .apply("Report " + name + " " + end, Top.of(examples, new ByScore(top)))
            .apply("Report " + name + " " + end + " picks", FlatMapElements.into(TypeDescriptors.strings())
                .via(list -> picks(name, end, list))));
      }
    }
    PCollection<String> allPicks = PCollectionList.of(picks).apply("Report picks flatten", Flatten.pCollections());
    PCollectionView<List<String>> pickView = allPicks.apply("Report picks view", View.asList());
    // Related documents of the picked ones: (score|id, label|related id), and their ids among the snippets to fetch.
    List<PCollection<KV<String, String>>> links = new ArrayList<>();
    for (Map.Entry<String, KV<String, PCollection<KV<String, String>>>> r : related.entrySet()) {
      links.add(r.getValue().getValue().apply("Report related " + r.getKey(),
          ParDo.of(new RelatedOfPicksFn(pickView, r.getKey(), r.getValue().getKey())).withSideInputs(pickView)));
    }
    PCollection<KV<String, String>> linked = PCollectionList.<KV<String, String>>empty(documents.getPipeline()).and(links)
        .apply("Report related flatten", Flatten.pCollections())
        .setCoder(org.apache.beam.sdk.coders.KvCoder.of(org.apache.beam.sdk.coders.StringUtf8Coder.of(), org.apache.beam.sdk.coders.StringUtf8Coder.of()));
    PCollectionView<Map<String, String>> linkView = linked.apply("Report related view", View.asMap());
    PCollectionView<List<String>> snippetIds = PCollectionList.of(allPicks)
        .and(linked.apply("Report related picks", MapElements.into(TypeDescriptors.strings())
            .via(kv -> new ObjectMapper().createObjectNode().put("id", kv.getValue().substring(kv.getValue().indexOf('|') + 1)).toString())))
        .apply("Report snippet ids flatten", Flatten.pCollections())
        .apply("Report snippet ids view", View.asList());
    documents
        .apply("Report snippets", ParDo.of(new SnippetFn(snippetIds)).withSideInputs(snippetIds))
        .apply("Report snippets map", Combine.globally(new ToMapFn()))
        .apply("Report examples write", ParDo.of(new WriteExamplesFn(dataDir + "examples.json", pickView, linkView, new ArrayList<>(scales.keySet())))
            .withSideInputs(pickView, linkView));
  }

  /** The ids of the picks (JSON rows with "id" and "score"), of one score's picks or, with null, of all. */
  static java.util.Set<String> pickedIds(List<String> picks, @Nullable String score) throws IOException {
    java.util.Set<String> ids = new java.util.HashSet<>();
    ObjectMapper mapper = new ObjectMapper();
    for (String p : picks) {
      JsonNode n = mapper.readTree(p);
      if (score == null || n.path("score").asText().equals(score)) {
        ids.add(n.path("id").asText());
      }
    }
    return ids;
  }

  /** Keeps (id, related) for the ids picked as examples of {@code score}, as (score|id, label|related). */
  private static final class RelatedOfPicksFn extends DoFn<KV<String, String>, KV<String, String>> {
    private final PCollectionView<List<String>> picks;
    private final String score;
    private final String label;
    private transient java.util.Set<String> ids;

    RelatedOfPicksFn(PCollectionView<List<String>> picks, String score, String label) {
      this.picks = picks;
      this.score = score;
      this.label = label;
    }

    @StartBundle
    public void start() {
      ids = null;
    }

    @ProcessElement
    public void process(ProcessContext c) throws IOException {
      if (ids == null) {
        ids = pickedIds(c.sideInput(picks), score);
      }
      KV<String, String> kv = c.element();
      if (kv.getValue() != null && ids.contains(kv.getKey())) {
        c.output(KV.of(score + "|" + kv.getKey(), label + "|" + kv.getValue()));
      }
    }
  }

  static List<String> picks(String score, String end, List<DocumentScore> list) {
    ObjectMapper mapper = new ObjectMapper();
    List<String> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      out.add(mapper.createObjectNode().put("score", score).put("end", end).put("rank", i + 1)
          .put("id", list.get(i).id()).put("value", list.get(i).score()).toString());
    }
    return out;
  }

  private static final class Decision {
    final String label;
    final String scoreName;
    final PCollection<DocumentScore> kept;
    final PCollection<DocumentScore> dropped;

    Decision(String label, String scoreName, PCollection<DocumentScore> kept, PCollection<DocumentScore> dropped) {
      this.label = label;
      this.scoreName = scoreName;
      this.kept = kept;
      this.dropped = dropped;
    }
  }

  /** By score, then id: {@code Top} keeps the largest, so the bottom end compares reversed. */
  static final class ByScore implements Comparator<DocumentScore>, Serializable {
    private final boolean ascending;

    ByScore(boolean ascending) {
      this.ascending = ascending;
    }

    @Override
    public int compare(DocumentScore a, DocumentScore b) {
      int c = Double.compare(a.score(), b.score());
      if (c == 0) {
        c = a.id().compareTo(b.id());
      }
      return ascending ? c : -c;
    }
  }

  /**
   * Histograms per series name, binned by the score's range (a side input); the output is their JSON,
   * {@code {binning: {...}, series: {name: histogram}}}.
   */
  static final class HistogramsFn extends CombineWithContext.CombineFnWithContext<KV<String, Double>, Map<String, Histogram>, String> {
    private final Scale scale;
    private final List<String> series;
    private final PCollectionView<Histogram.Range> range;

    HistogramsFn(Scale scale, List<String> series, PCollectionView<Histogram.Range> range) {
      this.scale = scale;
      this.series = series;
      this.range = range;
    }

    @Override
    public Map<String, Histogram> createAccumulator(CombineWithContext.Context c) {
      return new HashMap<>();
    }

    @Override
    public Map<String, Histogram> addInput(Map<String, Histogram> acc, KV<String, Double> in, CombineWithContext.Context c) {
      acc.computeIfAbsent(in.getKey(), k -> new Histogram(scale, c.sideInput(range))).add(in.getValue());
      return acc;
    }

    @Override
    public Map<String, Histogram> mergeAccumulators(Iterable<Map<String, Histogram>> accs, CombineWithContext.Context c) {
      Map<String, Histogram> out = new HashMap<>();
      for (Map<String, Histogram> a : accs) {
        a.forEach((k, h) -> out.computeIfAbsent(k, x -> new Histogram(scale, h.range())).merge(h));
      }
      return out;
    }

    @Override
    public String extractOutput(Map<String, Histogram> acc, CombineWithContext.Context c) {
      return json(acc, c.sideInput(range));
    }

    /** No value at all in the series: empty histograms, without bins. */
    @Override
    public String defaultValue() {
      return json(Map.of(), Histogram.Range.EMPTY);
    }

    private String json(Map<String, Histogram> acc, Histogram.Range r) {
      ObjectNode root = new ObjectMapper().createObjectNode();
      new Histogram(scale, r).writeBinning(root.putObject("binning"));
      ObjectNode out = root.putObject("series");
      for (String s : series) {
        acc.getOrDefault(s, new Histogram(scale, r)).writeTo(out.putObject(s));
      }
      return root.toString();
    }

    @Override
    public Coder<Map<String, Histogram>> getAccumulatorCoder(CoderRegistry r, Coder<KV<String, Double>> in) {
      return MapCoder.of(StringUtf8Coder.of(), Histogram.HistogramCoder.of());
    }

    @Override
    public Coder<String> getDefaultOutputCoder(CoderRegistry r, Coder<KV<String, Double>> in) {
      return StringUtf8Coder.of();
    }
  }

  /** (id, snippet JSON) of the few picked documents into one map. */
  static final class ToMapFn extends Combine.CombineFn<KV<String, String>, Map<String, String>, Map<String, String>> {
    @Override
    public Map<String, String> createAccumulator() {
      return new TreeMap<>();
    }

    @Override
    public Map<String, String> addInput(Map<String, String> acc, KV<String, String> in) {
      acc.put(in.getKey(), in.getValue());
      return acc;
    }

    @Override
    public Map<String, String> mergeAccumulators(Iterable<Map<String, String>> accs) {
      Map<String, String> out = new TreeMap<>();
      accs.forEach(out::putAll);
      return out;
    }

    @Override
    public Map<String, String> extractOutput(Map<String, String> acc) {
      return acc;
    }

    @Override
    public Coder<Map<String, String>> getAccumulatorCoder(CoderRegistry r, Coder<KV<String, String>> in) {
      return MapCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of());
    }

    @Override
    public Coder<Map<String, String>> getDefaultOutputCoder(CoderRegistry r, Coder<KV<String, String>> in) {
      return MapCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of());
    }
  }

  /** Emits (id, {snippet, source, language}) for the documents among the picks. */
  private static final class SnippetFn extends DoFn<Document, KV<String, String>> {
    private final PCollectionView<List<String>> picks;
    private transient java.util.Set<String> ids;

    SnippetFn(PCollectionView<List<String>> picks) {
      this.picks = picks;
    }

    @StartBundle
    public void start() {
      ids = null;
    }

    @ProcessElement
    public void process(ProcessContext c) throws IOException {
      if (ids == null) {
        ids = pickedIds(c.sideInput(picks), null);
      }
      Document d = c.element();
      if (ids.contains(d.id())) {
        String text = d.text().strip().replaceAll("\\s+", " ");
        ObjectNode n = new ObjectMapper().createObjectNode()
            .put("snippet", text.length() > SNIPPET_CHARS ? text.substring(0, SNIPPET_CHARS) + "…" : text)
            .put("characters", d.text().length())
            .put("source", d.source());
        String lang = language(d);
        if (lang != null) {
          n.put("language", lang);
        }
        c.output(KV.of(d.id(), n.toString()));
      }
    }
  }

  private static final class WriteJsonFn extends DoFn<String, Void> {
    private final String path;
    private final String metaJson;

    WriteJsonFn(String path, String metaJson) {
      this.path = path;
      this.metaJson = metaJson;
    }

    @ProcessElement
    public void process(@Element String seriesJson) throws IOException {
      ObjectMapper mapper = new ObjectMapper();
      ObjectNode root = (ObjectNode) mapper.readTree(metaJson);
      root.setAll((ObjectNode) mapper.readTree(seriesJson));
      ReportFiles.write(path, root);
    }
  }

  private static final class WriteCountsFn extends DoFn<Map<String, Long>, Void> {
    private final String path;
    private final boolean hasSelected;

    WriteCountsFn(String path, boolean hasSelected) {
      this.path = path;
      this.hasSelected = hasSelected;
    }

    @ProcessElement
    public void process(@Element Map<String, Long> counts) throws IOException {
      ObjectNode root = header("counts").put("hasSelected", hasSelected);
      root.putArray("languageFields").addAll(LANGUAGE_FIELDS.stream().map(f -> root.textNode(f)).toList());
      ObjectNode bySource = root.putObject("source");
      ObjectNode byLanguage = root.putObject("language");
      for (Map.Entry<String, Long> e : counts.entrySet()) {
        String[] parts = e.getKey().split("\t", 3);
        ObjectNode group = parts[1].equals("source") ? bySource : byLanguage;
        ObjectNode row = group.has(parts[2]) ? (ObjectNode) group.get(parts[2]) : group.putObject(parts[2]);
        row.put(parts[0], e.getValue());
      }
      ReportFiles.write(path, root);
    }
  }

  private static final class WriteExamplesFn extends DoFn<Map<String, String>, Void> {
    private final String path;
    private final PCollectionView<List<String>> picks;
    private final PCollectionView<Map<String, String>> links;
    private final List<String> scoreNames;

    WriteExamplesFn(String path, PCollectionView<List<String>> picks, PCollectionView<Map<String, String>> links, List<String> scoreNames) {
      this.path = path;
      this.picks = picks;
      this.links = links;
      this.scoreNames = scoreNames;
    }

    @ProcessElement
    public void process(ProcessContext c) throws IOException {
      ObjectMapper mapper = new ObjectMapper();
      Map<String, String> snippets = c.element();
      ObjectNode root = header("examples");
      ObjectNode byScore = root.putObject("scores");
      for (String s : scoreNames) {
        byScore.putObject(s).putArray("top");
        byScore.with(s).putArray("bottom");
      }
      List<ObjectNode> sorted = new ArrayList<>();
      for (String p : c.sideInput(picks)) {
        sorted.add((ObjectNode) mapper.readTree(p));
      }
      sorted.sort(Comparator.comparing((ObjectNode n) -> n.path("score").asText()).thenComparing(n -> n.path("end").asText())
          .thenComparingInt(n -> n.path("rank").asInt()));
      for (ObjectNode p : sorted) {
        ArrayNode list = (ArrayNode) byScore.with(p.path("score").asText()).get(p.path("end").asText());
        ObjectNode row = list.addObject().put("rank", p.path("rank").asInt()).put("id", p.path("id").asText()).put("value", p.path("value").asDouble());
        String snippet = snippets.get(p.path("id").asText());
        if (snippet != null) {
          row.setAll((ObjectNode) mapper.readTree(snippet));
        }
        String link = c.sideInput(links).get(p.path("score").asText() + "|" + p.path("id").asText());
        if (link != null) {
          String other = link.substring(link.indexOf('|') + 1);
          row.put("relatedLabel", link.substring(0, link.indexOf('|'))).put("related", other);
          String relatedSnippet = snippets.get(other);
          if (relatedSnippet != null) {
            row.put("relatedSnippet", mapper.readTree(relatedSnippet).path("snippet").asText());
          }
        }
      }
      ReportFiles.write(path, root);
    }
  }
}
