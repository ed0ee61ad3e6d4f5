package dev.dataselect.transforms.student;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * A student scorer: a linear head on a document's embedding and its {@link SignalFeatures}, {@code
 * ridge} ({@code score = z}) or {@code logistic} ({@code score = σ(z)}), where {@code z = b + w·x +
 * Σⱼ vⱼ (sⱼ - μⱼ) / σⱼ} (x the embedding, s the signal features standardised with the training
 * examples' mean μ and standard deviation σ, so each {@code vⱼ} is the weight of one standard
 * deviation of signal j). Either block may be absent ({@link Features}). Stored with what it was
 * trained from as a small versioned JSON file ({@code "format": 2}; format 1, embeddings only, is
 * still read) through Beam {@link FileSystems}, so a path may be local or {@code gs://}. Immutable.
 */
public final class StudentModel implements Serializable {
  private static final long serialVersionUID = 1L;
  public static final int FORMAT = 2;

  /** What the head predicts. */
  public enum Task {
    RIDGE,
    LOGISTIC;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Which feature blocks the head reads. */
  public enum Features {
    EMBEDDING,
    SIGNALS,
    BOTH;

    public boolean usesEmbedding() {
      return this != SIGNALS;
    }

    public boolean usesSignals() {
      return this != EMBEDDING;
    }

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Task task;
  private final Features features;
  private final double[] weights;
  private final List<String> signalNames;
  private final double[] signalMeans;
  private final double[] signalSds;
  private final double[] signalWeights;
  private final double lambdaSignals;
  /** The teacher gave 0/1 labels (from the fit figures). */
  private final boolean binaryTargets;
  private final double intercept;
  private final double lambda;
  private final SortedMap<String, String> embedding;
  private final SortedMap<String, String> teacher;
  private final double targetMean;
  private final double targetSd;
  private final String fitJson;

  private StudentModel(Task task, double[] weights, double intercept, double lambda, SortedMap<String, String> embedding,
      SortedMap<String, String> teacher, double targetMean, double targetSd, String fitJson, Features features,
      List<String> signalNames, double[] signalMeans, double[] signalSds, double[] signalWeights, double lambdaSignals) {
    checkArgument(features.usesEmbedding() == (weights.length >= 1),
        "a %s student needs %s embedding weights, got %s", features.label(), features.usesEmbedding() ? "its" : "no", weights.length);
    checkArgument(features.usesSignals() == (signalWeights.length >= 1),
        "a %s student needs %s signal weights, got %s", features.label(), features.usesSignals() ? "its" : "no", signalWeights.length);
    checkArgument(signalNames.size() == signalWeights.length && signalMeans.length == signalWeights.length
        && signalSds.length == signalWeights.length, "every signal needs a name, mean, sd and weight");
    for (double w : weights) {
      checkArgument(Double.isFinite(w), "weights must be finite, got %s", w);
    }
    for (int j = 0; j < signalWeights.length; j++) {
      checkArgument(Double.isFinite(signalWeights[j]) && Double.isFinite(signalMeans[j]) && signalSds[j] > 0
          && Double.isFinite(signalSds[j]), "signal %s needs a finite weight and mean and an sd > 0", signalNames.get(j));
    }
    checkArgument(Double.isFinite(intercept), "intercept must be finite, got %s", intercept);
    this.task = task;
    this.features = features;
    this.weights = weights.clone();
    this.signalNames = List.copyOf(signalNames);
    this.signalMeans = signalMeans.clone();
    this.signalSds = signalSds.clone();
    this.signalWeights = signalWeights.clone();
    this.lambdaSignals = lambdaSignals;
    this.binaryTargets = binaryTargets(fitJson);
    this.intercept = intercept;
    this.lambda = lambda;
    this.embedding = new TreeMap<>(embedding);
    this.teacher = new TreeMap<>(teacher);
    this.targetMean = targetMean;
    this.targetSd = targetSd;
    this.fitJson = fitJson;
  }

  /**
   * A model; {@code embedding} describes the embedding model (as {@code Embed.metadata()}),
   * {@code teacher} where the targets came from, {@code fit} the fit figures (a JSON object),
   * {@code targetMean}/{@code targetSd} the teacher values' mean and standard deviation.
   */
  public static StudentModel of(Task task, double[] weights, double intercept, double lambda,
      Map<String, String> embedding, Map<String, String> teacher, double targetMean, double targetSd, String fit) {
    return new StudentModel(task, weights, intercept, lambda, new TreeMap<>(embedding), new TreeMap<>(teacher),
        targetMean, targetSd, fit, Features.EMBEDDING, List.of(), new double[0], new double[0], new double[0], Double.NaN);
  }

  /**
   * A model with either or both blocks: the embedding weights (empty for {@code signals}); the
   * signals' names, training means, standard deviations and weights per standard deviation (empty
   * for {@code embedding}); and each block's penalty (NaN for a block it does not use).
   */
  public static StudentModel of(Task task, Features features, double[] weights, double intercept, double lambda,
      List<String> signalNames, double[] signalMeans, double[] signalSds, double[] signalWeights, double lambdaSignals,
      Map<String, String> embedding, Map<String, String> teacher, double targetMean, double targetSd, String fit) {
    return new StudentModel(task, weights, intercept, lambda, new TreeMap<>(embedding), new TreeMap<>(teacher), targetMean,
        targetSd, fit, features, signalNames, signalMeans, signalSds, signalWeights, lambdaSignals);
  }

  public Task task() {
    return task;
  }

  public Features features() {
    return features;
  }

  /** The embedding dimension the model reads (0 for a signals-only model). */
  public int dimension() {
    return weights.length;
  }

  /** The signal features the model reads, in order ({@link SignalFeatures#names()}), empty without a signal block. */
  public List<String> signalNames() {
    return signalNames;
  }

  /** Each signal's weight per standard deviation of the training examples. */
  public double[] signalWeights() {
    return signalWeights.clone();
  }

  public double[] signalMeans() {
    return signalMeans.clone();
  }

  public double[] signalSds() {
    return signalSds.clone();
  }

  /** The signal block's penalty (NaN without one). */
  public double lambdaSignals() {
    return lambdaSignals;
  }

  public double[] weights() {
    return weights.clone();
  }

  public double intercept() {
    return intercept;
  }

  public double lambda() {
    return lambda;
  }

  public SortedMap<String, String> embedding() {
    return new TreeMap<>(embedding);
  }

  public SortedMap<String, String> teacher() {
    return new TreeMap<>(teacher);
  }

  public double targetMean() {
    return targetMean;
  }

  public double targetSd() {
    return targetSd;
  }

  /** The fit figures, as a JSON object. */
  public String fitJson() {
    return fitJson;
  }

  /** The score of an embedding, for a model without a signal block. Higher is better. */
  public double score(float[] x) {
    checkArgument(!features.usesSignals(), "this student reads text signals as well: use score(embedding, signals)");
    return score(x, new float[0]);
  }

  /**
   * The score of a document's embedding (ignored, may be empty, for a signals-only model) and
   * signal features ({@link SignalFeatures#of}; ignored, may be empty, for an embeddings-only
   * model): {@code z}, or its sigmoid for a logistic head. Higher is better.
   */
  public double score(float[] x, float[] signals) {
    double z = intercept;
    if (features.usesEmbedding()) {
      checkArgument(x.length == weights.length, "expected an embedding of dimension %s, got %s", weights.length, x.length);
      for (int i = 0; i < x.length; i++) {
        z += weights[i] * x[i];
      }
    }
    if (features.usesSignals()) {
      checkArgument(signals.length == signalWeights.length, "expected %s signal features, got %s", signalWeights.length, signals.length);
      for (int j = 0; j < signals.length; j++) {
        z += signalWeights[j] * (signals[j] - signalMeans[j]) / signalSds[j];
      }
    }
    return task == Task.LOGISTIC ? LogisticStatistics.sigmoid(z) : z;
  }

  /**
   * A positive number that orders documents as {@link #score} does, for samplers that need
   * positive values (log-scale histograms): a logistic head's probability as it is (0 only
   * where it underflows), a ridge head's {@code exp((score - mean) / sd)}, its standardised
   * score clamped to ±700 so the exponential stays finite.
   */
  public double positiveScore(double score) {
    if (task == Task.LOGISTIC) {
      return score;
    }
    double sd = targetSd > 0 ? targetSd : 1;
    double z = Math.max(-700, Math.min(700, (score - targetMean) / sd));
    return Math.exp(z);
  }

  private static boolean binaryTargets(String fitJson) {
    try {
      return new ObjectMapper().readTree(fitJson).path("binaryTargets").asBoolean(false);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** The floor of {@link #uncertainty}: every document keeps a positive weight in a sampler. */
  public static final double MIN_UNCERTAINTY = 1e-6;

  /**
   * How unsure the student is of a document's score, in [{@link #MIN_UNCERTAINTY}, 1], higher for
   * the documents whose label would teach it most: a logistic head's {@code 4 p (1 - p)} (1 at p =
   * 0.5); a ridge head's {@code exp(-z² / 2)} with {@code z = (score - centre) / sd}, sd the teacher
   * values' standard deviation and the centre 0.5 when the teacher gave 0/1 labels (the decision
   * boundary; the fit records {@code "binaryTargets"}), else the teacher's mean (where a score's
   * rank among the teacher's values is least certain). The point estimate's closeness to the
   * boundary, not a posterior variance: cheap, and the same for every runner.
   */
  public double uncertainty(double score) {
    double u;
    if (task == Task.LOGISTIC) {
      u = 4 * score * (1 - score);
    } else {
      double sd = targetSd > 0 ? targetSd : 1;
      double z = (score - (binaryTargets ? 0.5 : targetMean)) / sd;
      u = Math.exp(-0.5 * z * z);
    }
    return Double.isFinite(u) ? Math.max(MIN_UNCERTAINTY, Math.min(1, u)) : MIN_UNCERTAINTY;
  }

  public String toJson() {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    root.put("format", FORMAT);
    root.put("task", task.label());
    root.put("features", features.label());
    root.put("dimension", weights.length);
    root.put("intercept", intercept);
    root.put("lambda", lambda);
    root.put("targetMean", targetMean);
    root.put("targetSd", targetSd);
    ObjectNode e = root.putObject("embedding");
    embedding.forEach(e::put);
    ObjectNode t = root.putObject("teacher");
    teacher.forEach(t::put);
    try {
      root.set("fit", mapper.readTree(fitJson));
    } catch (IOException ex) {
      throw new IllegalArgumentException("fit must be a JSON object, got " + fitJson, ex);
    }
    ArrayNode w = root.putArray("weights");
    for (double v : weights) {
      w.add(v);
    }
    if (features.usesSignals()) {
      root.put("lambdaSignals", lambdaSignals);
      ArrayNode sig = root.putArray("signals");
      for (int j = 0; j < signalWeights.length; j++) {
        sig.addObject().put("name", signalNames.get(j)).put("mean", signalMeans[j]).put("sd", signalSds[j])
            .put("weight", signalWeights[j]);
      }
    }
    try {
      return mapper.writeValueAsString(root);
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  /** Parses {@link #toJson}; refuses other formats and malformed files with a message naming the field. */
  public static StudentModel fromJson(String json) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("not a student model file (invalid JSON): " + e.getMessage(), e);
    }
    checkArgument(root != null && root.isObject(), "not a student model file: expected a JSON object");
    int format = root.path("format").asInt(-1);
    checkArgument(format == 1 || format == FORMAT,
        "student model format %s is not supported (this build reads formats 1 and %s)", root.path("format"), FORMAT);
    Task task;
    try {
      task = Task.valueOf(root.path("task").asText("").toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("student model task must be ridge or logistic, got " + root.path("task"), e);
    }
    JsonNode w = root.path("weights");
    checkArgument(w.isArray() && w.size() == root.path("dimension").asInt(-1),
        "student model weights must be an array of 'dimension' (%s) numbers, got %s entries", root.path("dimension"), w.size());
    double[] weights = new double[w.size()];
    for (int i = 0; i < weights.length; i++) {
      checkArgument(w.get(i).isNumber(), "student model weight %s is not a number: %s", i, w.get(i));
      weights[i] = w.get(i).asDouble();
    }
    checkArgument(root.path("intercept").isNumber(), "student model intercept must be a number");
    Features features;
    try {
      features = Features.valueOf(root.path("features").asText("embedding").toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("student model features must be embedding, signals or both, got " + root.path("features"), e);
    }
    JsonNode sig = root.path("signals");
    int m = sig.isArray() ? sig.size() : 0;
    List<String> names = new ArrayList<>();
    double[] means = new double[m];
    double[] sds = new double[m];
    double[] sw = new double[m];
    for (int j = 0; j < m; j++) {
      JsonNode e = sig.get(j);
      checkArgument(e.path("name").isTextual() && e.path("mean").isNumber() && e.path("sd").isNumber() && e.path("weight").isNumber(),
          "student model signal %s needs a name, mean, sd and weight: %s", j, e);
      names.add(e.path("name").asText());
      means[j] = e.path("mean").asDouble();
      sds[j] = e.path("sd").asDouble();
      sw[j] = e.path("weight").asDouble();
    }
    return new StudentModel(task, weights, root.path("intercept").asDouble(), root.path("lambda").asDouble(Double.NaN),
        strings(root.path("embedding")), strings(root.path("teacher")), root.path("targetMean").asDouble(0),
        root.path("targetSd").asDouble(1), root.path("fit").isObject() ? root.path("fit").toString() : "{}", features,
        names, means, sds, sw, root.path("lambdaSignals").asDouble(Double.NaN));
  }

  private static SortedMap<String, String> strings(JsonNode node) {
    SortedMap<String, String> m = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      m.put(e.getKey(), e.getValue().asText());
    }
    return m;
  }

  /** Writes the model to {@code path} (local or gs://), replacing it. */
  public void write(String path) {
    ResourceId id = FileSystems.matchNewResource(path, false);
    try (OutputStream out = Channels.newOutputStream(FileSystems.create(id, "application/json"))) {
      out.write(toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the student model to " + path, e);
    }
  }

  /** Reads a model file from {@code path} (local or gs://). */
  public static StudentModel read(String path) {
    try {
      ResourceId id = FileSystems.matchSingleFileSpec(path).resourceId();
      try (InputStream in = Channels.newInputStream(FileSystems.open(id))) {
        return fromJson(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the student model " + path + ": " + e.getMessage(), e);
    }
  }
}
