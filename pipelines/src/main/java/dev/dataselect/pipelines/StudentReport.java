package dev.dataselect.pipelines;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dataselect.transforms.student.HeldOutMetrics;
import dev.dataselect.transforms.student.StudentModel;
import dev.dataselect.transforms.student.TrainStudent;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.PCollectionView;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The train-student outputs: the model file, and in the report folder {@code metrics.json} (fit
 * figures, counts), {@code calibration.json} + {@code calibration.png} (mean teacher value per
 * decile of held-out prediction, drawn with XChart), {@code examples.json} (held-out documents
 * with the highest and lowest predictions and the largest errors) and, for a student that reads
 * text signals, {@code signal-weights.json} + {@code signal-weights.png} (each signal's weight per
 * standard deviation, largest first).
 */
final class StudentReport {
  static final int BINS = 10;
  static final int EXAMPLES = 10;

  private StudentReport() {}

  /**
   * One line per fitted feature group of a metrics.json: its held-out AUC (or R²) and penalties,
   * e.g. {@code held-out AUC  both 0.931 · embedding 0.902 · signals 0.874}.
   */
  static String blocksBrief(com.fasterxml.jackson.databind.JsonNode metrics) {
    com.fasterxml.jackson.databind.JsonNode blocks = metrics.path("fit").path("blocks");
    if (!blocks.isObject() || blocks.size() == 0) {
      return "";
    }
    boolean auc = blocks.elements().next().has("heldOutAuc");
    String key = auc ? "heldOutAuc" : "heldOutR2";
    StringBuilder line = new StringBuilder(auc ? "held-out AUC " : "held-out R²  ");
    StringBuilder penalties = new StringBuilder("penalties    ");
    String sep = "";
    for (java.util.Iterator<String> it = blocks.fieldNames(); it.hasNext(); ) {
      String group = it.next();
      com.fasterxml.jackson.databind.JsonNode b = blocks.get(group);
      line.append(sep).append(group).append(' ').append(String.format(java.util.Locale.ROOT, "%.3f", b.path(key).asDouble(Double.NaN)));
      penalties.append(sep).append(group);
      if (b.has("lambda")) {
        penalties.append(" λ=").append(b.get("lambda").asDouble());
      }
      if (b.has("lambdaSignals")) {
        penalties.append(" λsignals=").append(b.get("lambdaSignals").asDouble());
      }
      sep = " · ";
    }
    return line + "\n" + penalties + "\n";
  }

  static final class Write extends DoFn<TrainStudent.Result, Void> {
    private final String modelPath;
    private final String reportDir;
    private final PCollectionView<Map<String, Long>> counts;

    Write(String modelPath, String reportDir, PCollectionView<Map<String, Long>> counts) {
      this.modelPath = modelPath;
      this.reportDir = reportDir;
      this.counts = counts;
    }

    @ProcessElement
    public void process(@Element TrainStudent.Result r, ProcessContext c) throws IOException {
      r.model.write(modelPath);
      ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
      ObjectNode metrics = mapper.createObjectNode();
      metrics.put("task", r.model.task().label());
      metrics.put("model", modelPath);
      metrics.set("fit", mapper.readTree(r.model.fitJson()));
      ObjectNode countNode = metrics.putObject("counts");
      new TreeMap<>(c.sideInput(counts)).forEach(countNode::put);
      ObjectNode teacher = metrics.putObject("teacher");
      r.model.teacher().forEach(teacher::put);
      write(reportDir + "metrics.json", mapper.writeValueAsString(metrics));

      List<HeldOutMetrics.Bin> bins = HeldOutMetrics.calibration(r.teacher, r.predicted, BINS);
      ArrayNode cal = mapper.createArrayNode();
      for (HeldOutMetrics.Bin b : bins) {
        cal.addObject().put("count", b.count).put("meanPredicted", b.meanPredicted).put("meanTeacher", b.meanTeacher);
      }
      write(reportDir + "calibration.json", mapper.writeValueAsString(cal));
      writePng(reportDir + "calibration.png", chart(r.model, bins));
      write(reportDir + "examples.json", mapper.writeValueAsString(examples(mapper, r)));
      if (!r.model.signalNames().isEmpty()) {
        ArrayNode weights = mapper.createArrayNode();
        for (int j : bySignalWeight(r.model)) {
          weights.addObject().put("signal", r.model.signalNames().get(j)).put("weightPerSd", r.model.signalWeights()[j])
              .put("mean", r.model.signalMeans()[j]).put("sd", r.model.signalSds()[j]);
        }
        write(reportDir + "signal-weights.json", mapper.writeValueAsString(weights));
        writePng(reportDir + "signal-weights.png", signalChart(r.model));
      }
    }

    /** Signal indices by decreasing |weight per standard deviation|. */
    static List<Integer> bySignalWeight(StudentModel model) {
      double[] w = model.signalWeights();
      List<Integer> idx = new java.util.ArrayList<>();
      for (int j = 0; j < w.length; j++) {
        idx.add(j);
      }
      idx.sort((a, b) -> Double.compare(Math.abs(w[b]), Math.abs(w[a])));
      return idx;
    }

    private static CategoryChart signalChart(StudentModel model) {
      System.setProperty("java.awt.headless", "true");
      CategoryChart chart = new CategoryChartBuilder().width(900).height(520)
          .title("Student weight per standard deviation of each text signal (" + model.task().label() + ")")
          .xAxisTitle("signal").yAxisTitle("weight per sd").build();
      chart.getStyler().setLegendVisible(false);
      chart.getStyler().setXAxisLabelRotation(60);
      List<Integer> order = bySignalWeight(model);
      List<String> names = new java.util.ArrayList<>();
      List<Double> values = new java.util.ArrayList<>();
      for (int j : order) {
        names.add(model.signalNames().get(j));
        values.add(model.signalWeights()[j]);
      }
      chart.addSeries("weight", names, values);
      return chart;
    }

    private static ObjectNode examples(ObjectMapper mapper, TrainStudent.Result r) {
      Integer[] byPrediction = order(r.predicted);
      double[] error = new double[r.ids.length];
      for (int i = 0; i < error.length; i++) {
        error[i] = -Math.abs(r.predicted[i] - r.teacher[i]);
      }
      Integer[] byError = order(error);
      ObjectNode out = mapper.createObjectNode();
      List<Integer> highest = new java.util.ArrayList<>(Arrays.asList(byPrediction));
      java.util.Collections.reverse(highest);
      add(out.putArray("highestPredicted"), r, highest);
      add(out.putArray("lowestPredicted"), r, Arrays.asList(byPrediction));
      add(out.putArray("largestErrors"), r, Arrays.asList(byError));
      return out;
    }

    private static Integer[] order(double[] v) {
      Integer[] idx = new Integer[v.length];
      for (int i = 0; i < v.length; i++) {
        idx[i] = i;
      }
      Arrays.sort(idx, (a, b) -> Double.compare(v[a], v[b]));
      return idx;
    }

    private static void add(ArrayNode into, TrainStudent.Result r, List<Integer> idx) {
      for (int i = 0; i < Math.min(EXAMPLES, idx.size()); i++) {
        int k = idx.get(i);
        into.addObject().put("id", r.ids[k]).put("teacher", r.teacher[k]).put("predicted", r.predicted[k]);
      }
    }

    private static XYChart chart(StudentModel model, List<HeldOutMetrics.Bin> bins) {
      System.setProperty("java.awt.headless", "true");
      XYChart chart = new XYChartBuilder().width(640).height(480)
          .title("Student calibration (" + model.task().label() + ", held-out deciles)")
          .xAxisTitle(model.task() == StudentModel.Task.LOGISTIC ? "mean predicted probability" : "mean student score")
          .yAxisTitle(model.task() == StudentModel.Task.LOGISTIC ? "fraction positive" : "mean teacher value")
          .build();
      double[] x = bins.stream().mapToDouble(b -> b.meanPredicted).toArray();
      double[] y = bins.stream().mapToDouble(b -> b.meanTeacher).toArray();
      if (x.length == 0) {
        x = new double[] {0};
        y = new double[] {0};
      }
      XYSeries s = chart.addSeries("held-out", x, y);
      s.setMarker(SeriesMarkers.CIRCLE);
      double lo = Math.min(Arrays.stream(x).min().orElse(0), Arrays.stream(y).min().orElse(0));
      double hi = Math.max(Arrays.stream(x).max().orElse(1), Arrays.stream(y).max().orElse(1));
      XYSeries diagonal = chart.addSeries("ideal", new double[] {lo, hi}, new double[] {lo, hi});
      diagonal.setMarker(SeriesMarkers.NONE);
      diagonal.setLineColor(Color.GRAY);
      return chart;
    }

    private static void writePng(String path, org.knowm.xchart.internal.chartpart.Chart<?, ?> chart) throws IOException {
      try (OutputStream out = Channels.newOutputStream(FileSystems.create(FileSystems.matchNewResource(path, false), "image/png"))) {
        BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
      }
    }

    private static void write(String path, String text) throws IOException {
      try (OutputStream out = Channels.newOutputStream(FileSystems.create(FileSystems.matchNewResource(path, false), "application/json"))) {
        out.write(text.getBytes(StandardCharsets.UTF_8));
      }
    }
  }
}
