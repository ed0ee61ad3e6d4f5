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
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * A student scorer: a linear head on document embeddings, {@code ridge} ({@code score = b + w·x})
 * or {@code logistic} ({@code score = σ(b + w·x)}), with what it was trained from. Stored as a
 * small versioned JSON file ({@code "format": 1}) read and written through Beam {@link
 * FileSystems}, so a path may be local or {@code gs://}. Immutable.
 */
public final class StudentModel implements Serializable {
  private static final long serialVersionUID = 1L;
  public static final int FORMAT = 1;

  /** What the head predicts. */
  public enum Task {
    RIDGE,
    LOGISTIC;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Task task;
  private final double[] weights;
  private final double intercept;
  private final double lambda;
  private final SortedMap<String, String> embedding;
  private final SortedMap<String, String> teacher;
  private final double targetMean;
  private final double targetSd;
  private final String fitJson;

  private StudentModel(Task task, double[] weights, double intercept, double lambda, SortedMap<String, String> embedding,
      SortedMap<String, String> teacher, double targetMean, double targetSd, String fitJson) {
    checkArgument(weights.length >= 1, "weights must not be empty");
    for (double w : weights) {
      checkArgument(Double.isFinite(w), "weights must be finite, got %s", w);
    }
    checkArgument(Double.isFinite(intercept), "intercept must be finite, got %s", intercept);
    this.task = task;
    this.weights = weights.clone();
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
        targetMean, targetSd, fit);
  }

  public Task task() {
    return task;
  }

  public int dimension() {
    return weights.length;
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

  /** The student's score of an embedding: {@code b + w·x}, or its sigmoid for a logistic head. Higher is better. */
  public double score(float[] x) {
    checkArgument(x.length == weights.length, "expected an embedding of dimension %s, got %s", weights.length, x.length);
    double z = intercept;
    for (int i = 0; i < x.length; i++) {
      z += weights[i] * x[i];
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

  public String toJson() {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    root.put("format", FORMAT);
    root.put("task", task.label());
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
    checkArgument(root.path("format").asInt(-1) == FORMAT,
        "student model format %s is not supported (this build reads format %s)", root.path("format"), FORMAT);
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
    return new StudentModel(task, weights, root.path("intercept").asDouble(), root.path("lambda").asDouble(Double.NaN),
        strings(root.path("embedding")), strings(root.path("teacher")), root.path("targetMean").asDouble(0),
        root.path("targetSd").asDouble(1), root.path("fit").isObject() ? root.path("fit").toString() : "{}");
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
