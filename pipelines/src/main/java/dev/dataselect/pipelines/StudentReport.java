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
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The train-student outputs: the model file, and in the report folder {@code metrics.json} (fit
 * figures, counts), {@code calibration.json} + {@code calibration.png} (mean teacher value per
 * decile of held-out prediction, drawn with XChart) and {@code examples.json} (held-out documents
 * with the highest and lowest predictions and the largest errors).
 */
final class StudentReport {
  static final int BINS = 10;
  static final int EXAMPLES = 10;

  private StudentReport() {}

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

    private static void writePng(String path, XYChart chart) throws IOException {
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
