package dev.dataselect.pipelines.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Renders {@code <output>/report/index.html} from {@code summary.json} and the small files under
 * {@code report/data/}: one self-contained page (inline CSS, charts as PNG data URIs drawn with
 * XChart, no script, no external reference) that opens offline. Every count shown from {@code
 * summary.json} carries its JSON pointer in a {@code data-summary} attribute, so a test can check
 * the page against the file.
 */
public final class ReportPage {
  private static final Color KEPT = new Color(0x1b, 0x9e, 0x77);
  private static final Color DROPPED = new Color(0xd9, 0x5f, 0x02);
  private static final Color ALL = new Color(0x4c, 0x72, 0xb0);
  private static final int WIDTH = 880;
  private static final int HEIGHT = 340;

  private final ObjectMapper mapper = new ObjectMapper();
  private final StringBuilder html = new StringBuilder();
  private int charts;

  private ReportPage() {}

  /** Reads the run's summary and report data under {@code output} and writes {@code report/index.html}; returns its path. */
  public static String render(String output) throws IOException {
    System.setProperty("java.awt.headless", "true");
    String base = output.endsWith("/") ? output : output + "/";
    ReportPage page = new ReportPage();
    String summaryPath = base + "summary.json";
    if (!ReportFiles.exists(summaryPath)) {
      throw new IllegalArgumentException("no summary.json in " + output + ": render the report of a finished run");
    }
    JsonNode summary = page.mapper.readTree(ReportFiles.read(summaryPath));
    List<JsonNode> data = new ArrayList<>();
    for (String f : ReportFiles.list(RunReport.dataDir(output) + "*.json")) {
      data.add(page.mapper.readTree(ReportFiles.read(f)));
    }
    page.build(output, summary, data);
    String target = base + "report/index.html";
    ReportFiles.write(target, page.html.toString().getBytes(StandardCharsets.UTF_8), "text/html");
    return target;
  }

  private List<JsonNode> ofKind(List<JsonNode> data, String kind) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode n : data) {
      if (kind.equals(n.path("kind").asText())) {
        out.add(n);
      }
    }
    return out;
  }

  private void build(String output, JsonNode summary, List<JsonNode> data) throws IOException {
    JsonNode options = summary.path("options");
    html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>dataselect run report</title>\n<style>\n")
        .append("body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:0;background:#f4f5f7;color:#222}\n")
        .append("main{max-width:960px;margin:0 auto;padding:24px}\n")
        .append("h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:0 0 12px;border-bottom:2px solid #4c72b0;padding-bottom:4px}\n")
        .append("h3{font-size:16px;margin:16px 0 8px}\n")
        .append("section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:16px 20px;margin:18px 0}\n")
        .append("table{border-collapse:collapse;margin:8px 0;font-size:14px}td,th{padding:4px 10px;border-bottom:1px solid #e2e4e8;text-align:left;vertical-align:top}\n")
        .append("td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f0f2f5}\n")
        .append(".muted{color:#666;font-size:13px}.ok{color:#1b7e3c;font-weight:bold}.bad{color:#b00020;font-weight:bold}\n")
        .append("img{display:block;max-width:100%;margin:8px 0}.snippet{font-size:13px;max-width:560px}\n")
        .append(".kv td:first-child{color:#555}nav a{margin-right:12px;color:#4c72b0}\n")
        .append("</style></head><body><main>\n");
    html.append("<h1>dataselect run report</h1>\n<p class=\"muted\">Output <code>").append(esc(output)).append("</code> · input <code>")
        .append(esc(options.path("input").asText())).append("</code></p>\n");
    html.append("<nav><a href=\"#counts\">Counts</a><a href=\"#dead\">Dead letters</a><a href=\"#scores\">Distributions</a>")
        .append("<a href=\"#decisions\">Kept vs dropped</a><a href=\"#sources\">Sources</a><a href=\"#examples\">Examples</a><a href=\"#timings\">Timings</a></nav>\n");
    overview(summary, options);
    if (summary.has("comparison")) { // a compare run: selections side by side
      html.append("<section id=\"counts\"><h2>Selections compared</h2>\n").append(CompareHtml.fragment(summary.path("comparison")))
          .append("</section>\n");
    } else if (summary.has("selections")) {
      selections(summary); // a reselect run: many selections over persisted scores, no corpus read
    } else {
      counts(summary);
      deadLetters(summary);
      filters(summary);
      store(summary);
    }
    distributions(ofKind(data, "histogram"));
    decisions(ofKind(data, "decisions"));
    sources(ofKind(data, "counts"));
    examples(ofKind(data, "examples"), ofKind(data, "histogram"));
    timings(ofKind(data, "timings"), summary);
    html.append("<p class=\"muted\">Figures from <code>summary.json</code> and <code>report/data/</code>; every chart is drawn with XChart.</p>\n");
    html.append("</main></body></html>\n");
  }

  private void overview(JsonNode summary, JsonNode options) {
    html.append("<section id=\"overview\"><h2>Run</h2><table class=\"kv\">\n");
    if (summary.has("comparison")) {
      row("Job", "compare: " + esc(options.path("selections").asText()));
    } else {
      row("Sampler", esc(options.path("sampler").asText()) + " at rate " + esc(options.path("rate").asText()) + ", seed " + esc(options.path("seed").asText()));
      row("Quality score", esc(options.path("quality").asText()));
    }
    row("Runner", esc(options.path("runner").asText()));
    html.append("<tr><td>Wall time</td><td><span data-summary=\"/wallSeconds\">").append(fmt(summary.path("wallSeconds").asDouble())).append("</span> s</td></tr>\n");
    Iterator<Map.Entry<String, JsonNode>> checks = summary.path("reconciles").fields();
    while (checks.hasNext()) {
      Map.Entry<String, JsonNode> c = checks.next();
      boolean ok = c.getValue().asBoolean();
      row("Check: " + esc(words(c.getKey())), ok ? "<span class=\"ok\">✔ reconciles</span>" : "<span class=\"bad\">✘ does not reconcile</span>");
    }
    html.append("</table></section>\n");
  }

  /** The reselect job's selections: target, kept, dropped and the checks, one row each. */
  private void selections(JsonNode summary) {
    html.append("<section id=\"counts\"><h2>Selections from persisted scores</h2>\n<p class=\"muted\">Scores read: ");
    List<String> read = new ArrayList<>();
    summary.path("scores").fields().forEachRemaining(e -> read.add(esc(e.getKey()) + " <span data-summary=\"/scores/" + esc(e.getKey())
        + "\">" + count(e.getValue().asLong()) + "</span>"));
    html.append(String.join(", ", read)).append(". No model ran.</p>\n");
    html.append("<table><tr><th>Selection</th><th class=\"n\">Target</th><th class=\"n\">Selected</th><th class=\"n\">Achieved / target</th>")
        .append("<th class=\"n\">Rejected</th><th class=\"n\">Scored</th></tr>\n");
    summary.path("selections").fields().forEachRemaining(e -> {
      String label = esc(e.getKey());
      JsonNode n = e.getValue();
      String ptr = "/selections/" + label + "/";
      html.append("<tr><td>").append(label).append("</td>");
      for (String key : List.of("target", "selected", "achievedOverTarget", "rejected", "scored")) {
        JsonNode v = n.path(key);
        html.append("<td class=\"n\"");
        if (!v.isMissingNode()) {
          html.append(" data-summary=\"").append(ptr).append(key).append("\">").append(key.equals("achievedOverTarget") ? fmt(v.asDouble()) : count(v.asLong()));
        } else {
          html.append(">–");
        }
        html.append("</td>");
      }
      html.append("</tr>\n");
    });
    html.append("</table></section>\n");
  }

  private void counts(JsonNode summary) throws IOException {
    html.append("<section id=\"counts\"><h2>Counts by stage and outcome</h2>\n<table><tr><th>Stage</th><th>Outcome</th><th class=\"n\">Documents</th></tr>\n");
    String[][] rows = {
      {"Read", "records read", "/records"},
      {"Read", "documents parsed", "/documents"},
      {"Limit", "beyond --limit", "/beyondLimit"},
      {"Deduplicate", "exact duplicates removed", "/duplicates"},
      {"Score", "inference failures (dead letters)", "/inferenceFailures"},
      {"Select", "unscored", "/unscored"},
      {"Select", "selected", "/selected"},
      {"Select", "rejected", "/rejected"},
    };
    List<String> labels = new ArrayList<>();
    List<Number> values = new ArrayList<>();
    for (String[] r : rows) {
      JsonNode v = summary.at(r[2]);
      if (v.isMissingNode()) {
        continue;
      }
      html.append("<tr><td>").append(r[0]).append("</td><td>").append(r[1]).append("</td><td class=\"n\" data-summary=\"")
          .append(r[2]).append("\">").append(count(v.asLong())).append("</td></tr>\n");
      labels.add(r[1].replace(" (dead letters)", "").replace("exact duplicates removed", "duplicates"));
      values.add(v.asLong());
    }
    long dead = 0;
    for (JsonNode n : summary.path("deadLetters")) {
      dead += n.asLong();
    }
    html.append("<tr><td>Read</td><td>dead letters (all reasons)</td><td class=\"n\">").append(count(dead)).append("</td></tr>\n</table>\n");
    labels.add(2, "read dead letters");
    values.add(2, dead);
    CategoryChart chart = bars("Documents by stage and outcome", "", "documents", labels, values, ALL);
    chart.getStyler().setXAxisLabelRotation(20);
    img(chart, "Documents by stage and outcome");
    html.append("</section>\n");
  }

  /** The documents the --filters rules dropped, by rule (a decision with a reason, not a dead letter). */
  private void filters(JsonNode summary) throws IOException {
    JsonNode filters = summary.path("filters");
    if (filters.size() == 0) {
      return;
    }
    html.append("<section id=\"filters\"><h2>Filtered by rule</h2>\n");
    countTable(filters, "filters", "Rule", "Documents", "Filtered by rule");
    html.append("<p class=\"muted\">Each document is counted under the first rule that dropped it (--filters=")
        .append(esc(summary.at("/options/filters").asText())).append(").</p></section>\n");
  }

  /** With --scoreStore: documents each model stage was served from the store and scored. */
  private void store(JsonNode summary) throws IOException {
    JsonNode store = summary.path("store");
    if (store.size() == 0) {
      return;
    }
    html.append("<section id=\"store\"><h2>Score store</h2>\n");
    countTable(store, "store", "Stage", "Documents", "Served from the store and scored");
    html.append("<p class=\"muted\">--scoreStore=").append(esc(summary.at("/options/scoreStore").asText()))
        .append(": <i>Served</i> documents took their output from the store; <i>Scored</i> ones went to the model and were added"
            + " to it. <i>skippedFiles</i>: store files that could not be read (their documents were scored again).</p></section>\n");
  }

  /**
   * A table of {@code counts} (name → count), each cell pointing at {@code /group/name} in
   * summary.json, and its bar chart.
   */
  private void countTable(JsonNode counts, String group, String nameHeader, String countHeader, String title) throws IOException {
    html.append("<table><tr><th>").append(nameHeader).append("</th><th class=\"n\">").append(countHeader).append("</th></tr>\n");
    List<String> labels = new ArrayList<>();
    List<Number> values = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> it = counts.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      html.append("<tr><td>").append(esc(e.getKey())).append("</td><td class=\"n\" data-summary=\"/").append(group).append('/')
          .append(esc(e.getKey())).append("\">").append(count(e.getValue().asLong())).append("</td></tr>\n");
      labels.add(e.getKey());
      values.add(e.getValue().asLong());
    }
    html.append("</table>\n");
    img(bars(title, "", countHeader.toLowerCase(java.util.Locale.ROOT), labels, values, DROPPED), title);
  }

  private void deadLetters(JsonNode summary) throws IOException {
    html.append("<section id=\"dead\"><h2>Dead letters by reason</h2>\n");
    JsonNode dead = summary.path("deadLetters");
    if (dead.size() == 0) {
      html.append("<p>No record was rejected while reading.</p>\n");
    } else {
      countTable(dead, "deadLetters", "Reason", "Records", "Dead letters by reason");
    }
    if (summary.path("inferenceFailures").asLong() > 0) {
      html.append("<p>Inference failures: ").append(count(summary.path("inferenceFailures").asLong()))
          .append(" (in <code>dead-letters/inference*</code>).</p>\n");
    }
    html.append("<p class=\"muted\">The records themselves, with their reason, are in <code>dead-letters/</code>.</p></section>\n");
  }

  private void distributions(List<JsonNode> histograms) throws IOException {
    html.append("<section id=\"scores\"><h2>Score distributions</h2>\n");
    if (histograms.isEmpty()) {
      html.append("<p>This run computed no score (random sampler without --quality).</p>\n");
    }
    boolean probability = histograms.stream().anyMatch(h -> h.path("scale").asText().equals("PROBABILITY"));
    if (!probability) {
      html.append("<p class=\"muted\">No P(yes) histogram: this run had no ASK-LLM score (<code>--quality=askllm</code>).</p>\n");
    }
    for (JsonNode h : histograms) {
      String score = h.path("score").asText();
      JsonNode all = h.path("series").path("all");
      html.append("<h3>").append(esc(title(score))).append("</h3>\n");
      stats(all, "documents");
      XYChart chart = histogramChart(title(score) + " — " + count(all.path("count").asLong()) + " documents", h.path("scale").asText(), score);
      addHistogram(chart, h.path("scale").asText(), "documents", all, ALL, 200);
      chart.getStyler().setLegendVisible(false);
      img(chart, "Histogram of " + title(score));
    }
    html.append("</section>\n");
  }

  private void decisions(List<JsonNode> decisions) throws IOException {
    html.append("<section id=\"decisions\"><h2>Kept vs dropped</h2>\n");
    if (decisions.isEmpty()) {
      html.append("<p>No score to compare kept and dropped documents by in this run.</p>\n");
    }
    for (JsonNode d : decisions) {
      String label = d.path("label").asText();
      String score = d.path("score").asText();
      JsonNode kept = d.path("series").path("kept");
      JsonNode dropped = d.path("series").path("dropped");
      html.append("<h3>").append(esc(label)).append(" — by ").append(esc(title(score))).append("</h3>\n");
      html.append("<table><tr><th></th><th class=\"n\">Documents</th><th class=\"n\">Min</th><th class=\"n\">Mean</th><th class=\"n\">Max</th></tr>\n");
      for (String s : List.of("kept", "dropped")) {
        JsonNode n = d.path("series").path(s);
        html.append("<tr><td>").append(s).append("</td><td class=\"n\" data-decision=\"").append(esc(label)).append("/").append(s).append("\">")
            .append(count(n.path("count").asLong())).append("</td><td class=\"n\">").append(num(n.path("min")))
            .append("</td><td class=\"n\">").append(num(n.path("mean"))).append("</td><td class=\"n\">").append(num(n.path("max"))).append("</td></tr>\n");
      }
      html.append("</table>\n");
      XYChart chart = histogramChart(label + ": kept vs dropped by " + title(score), d.path("scale").asText(), score);
      addHistogram(chart, d.path("scale").asText(), "dropped (" + count(dropped.path("count").asLong()) + ")", dropped, DROPPED, 120);
      addHistogram(chart, d.path("scale").asText(), "kept (" + count(kept.path("count").asLong()) + ")", kept, KEPT, 150);
      img(chart, label + " kept vs dropped");
      XYChart fraction = keptFraction(label, score, d.path("scale").asText(), kept, dropped);
      if (fraction != null) {
        img(fraction, label + " kept fraction");
      }
    }
    html.append("</section>\n");
  }

  private void sources(List<JsonNode> countFiles) throws IOException {
    html.append("<section id=\"sources\"><h2>Sources and languages</h2>\n");
    if (countFiles.isEmpty()) {
      html.append("<p>No per-source counts in this run.</p></section>\n");
      return;
    }
    JsonNode c = countFiles.get(0);
    boolean hasSelected = c.path("hasSelected").asBoolean();
    countTable("Documents per source file", "File", c.path("source"), hasSelected, true);
    if (c.path("language").size() == 0) {
      html.append("<h3>Documents per language</h3><p>Language unknown: no metadata field named ")
          .append(esc(String.join(", ", fieldNames(c.path("languageFields")))))
          .append(" (read one with <code>--metadataFields</code>).</p>\n");
    } else {
      countTable("Documents per language", "Language", c.path("language"), hasSelected, false);
    }
    html.append("</section>\n");
  }

  private static List<String> fieldNames(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private void countTable(String heading, String what, JsonNode rows, boolean hasSelected, boolean fileNames) throws IOException {
    List<Map.Entry<String, JsonNode>> list = new ArrayList<>();
    rows.fields().forEachRemaining(list::add);
    list.sort((a, b) -> Long.compare(b.getValue().path("documents").asLong(), a.getValue().path("documents").asLong()));
    html.append("<h3>").append(heading).append(" (").append(count(list.size())).append(")</h3>\n<table><tr><th>")
        .append(what).append("</th><th class=\"n\">Documents</th>");
    if (hasSelected) {
      html.append("<th class=\"n\">Selected</th><th class=\"n\">Kept</th>");
    }
    html.append("</tr>\n");
    int shown = Math.min(list.size(), 30);
    List<String> labels = new ArrayList<>();
    List<Number> docs = new ArrayList<>();
    List<Number> kept = new ArrayList<>();
    for (int i = 0; i < shown; i++) {
      Map.Entry<String, JsonNode> e = list.get(i);
      long n = e.getValue().path("documents").asLong();
      long s = e.getValue().path("selected").asLong();
      html.append("<tr><td title=\"").append(esc(e.getKey())).append("\">").append(esc(fileNames ? shortName(e.getKey()) : e.getKey()))
          .append("</td><td class=\"n\">").append(count(n)).append("</td>");
      if (hasSelected) {
        html.append("<td class=\"n\">").append(count(s)).append("</td><td class=\"n\">").append(pct(n == 0 ? 0 : (double) s / n)).append("</td>");
      }
      html.append("</tr>\n");
      if (i < 15) {
        labels.add(abbreviate(fileNames ? shortName(e.getKey()) : e.getKey(), 24));
        docs.add(n);
        kept.add(s);
      }
    }
    if (list.size() > shown) {
      html.append("<tr><td class=\"muted\" colspan=\"4\">… and ").append(count(list.size() - shown)).append(" more (all in report/data/counts.json)</td></tr>\n");
    }
    html.append("</table>\n");
    if (!labels.isEmpty() && (labels.size() > 1 || !fileNames)) {
      CategoryChart chart = bars(heading, "", "documents", labels, docs, ALL);
      if (hasSelected) {
        chart.getSeriesMap().values().iterator().next().setLabel("documents");
        chart.addSeries("selected", labels, kept).setFillColor(KEPT);
        chart.getStyler().setLegendVisible(true);
        chart.getStyler().setOverlapped(true);
      }
      chart.getStyler().setXAxisLabelRotation(labels.size() > 6 ? 30 : 0);
      img(chart, heading);
    }
  }

  private void examples(List<JsonNode> examples, List<JsonNode> histograms) {
    html.append("<section id=\"examples\"><h2>Top and bottom examples by score</h2>\n");
    if (examples.isEmpty()) {
      html.append("<p>No examples: this run computed no score.</p></section>\n");
      return;
    }
    Iterator<Map.Entry<String, JsonNode>> it = examples.get(0).path("scores").fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      for (String end : List.of("top", "bottom")) {
        html.append("<h3>").append(end.equals("top") ? "Highest " : "Lowest ").append(esc(title(e.getKey()))).append("</h3>\n");
        html.append("<table><tr><th class=\"n\">#</th><th class=\"n\">Score</th><th>Document</th></tr>\n");
        for (JsonNode r : e.getValue().path(end)) {
          html.append("<tr><td class=\"n\">").append(r.path("rank").asInt()).append("</td><td class=\"n\">").append(num(r.path("value")))
              .append("</td><td class=\"snippet\"><b>").append(esc(r.path("id").asText())).append("</b>");
          if (r.has("language")) {
            html.append(" · ").append(esc(r.path("language").asText()));
          }
          html.append(" <span class=\"muted\">").append(esc(shortName(r.path("source").asText()))).append("</span><br>")
              .append(esc(r.path("snippet").asText("(text not found)")));
          if (r.has("related")) {
            html.append("<br><span class=\"muted\">").append(esc(r.path("relatedLabel").asText())).append(" <b>")
                .append(esc(r.path("related").asText())).append("</b>: ").append(esc(r.path("relatedSnippet").asText("(text not found)")))
                .append("</span>");
          }
          html.append("</td></tr>\n");
        }
        html.append("</table>\n");
      }
    }
    html.append("</section>\n");
  }

  private void timings(List<JsonNode> timings, JsonNode summary) throws IOException {
    html.append("<section id=\"timings\"><h2>Timings</h2>\n<p>Wall time of the run: <b>").append(fmt(summary.path("wallSeconds").asDouble()))
        .append(" s</b>.</p>\n");
    if (timings.isEmpty()) {
      html.append("<p>No per-stage metrics: the report was rendered without the pipeline's result (e.g. after a run on Dataflow); "
          + "see the runner's job page for stage timings.</p></section>\n");
      return;
    }
    JsonNode t = timings.get(0);
    html.append("<table><tr><th>Stage</th><th class=\"n\">Documents</th><th class=\"n\">Busy s</th><th class=\"n\">Documents / busy s</th>")
        .append("<th class=\"n\">Documents / wall s</th><th class=\"n\">Tokens</th><th class=\"n\">Model load s</th></tr>\n");
    List<String> labels = new ArrayList<>();
    List<Number> rates = new ArrayList<>();
    for (JsonNode s : t.path("stages")) {
      html.append("<tr><td>").append(esc(s.path("stage").asText())).append("</td><td class=\"n\">").append(count(s.path("documents").asLong()))
          .append("</td><td class=\"n\">").append(num(s.path("busySeconds"))).append("</td><td class=\"n\">").append(num(s.path("documentsPerBusySecond")))
          .append("</td><td class=\"n\">").append(num(s.path("documentsPerWallSecond"))).append("</td><td class=\"n\">")
          .append(s.has("tokens") ? count(s.path("tokens").asLong()) : "").append("</td><td class=\"n\">").append(num(s.path("modelLoadSeconds")))
          .append("</td></tr>\n");
      if (s.has("documentsPerBusySecond")) {
        labels.add(s.path("stage").asText());
        rates.add(s.path("documentsPerBusySecond").asDouble());
      }
    }
    html.append("</table>\n<p class=\"muted\">Busy seconds: time the stage's workers spent in its timed batches (summed over threads). ")
        .append("Documents / wall s: the stage's documents over the run's wall time. From Beam's ").append(esc(t.path("metrics").asText()))
        .append(" metrics.</p>\n");
    if (!labels.isEmpty()) {
      CategoryChart chart = bars("Throughput of the timed stages", "", "documents per busy second", labels, rates, ALL);
      img(chart, "Throughput per stage");
    }
    html.append("</section>\n");
  }

  // ------------------------------------------------------------------ charts

  private static CategoryChart bars(String title, String x, String y, List<String> labels, List<Number> values, Color color) {
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(x).yAxisTitle(y).build();
    style(chart.getStyler());
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setLabelsVisible(true);
    chart.getStyler().setLabelsFontColorAutomaticEnabled(true);
    chart.getStyler().setLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    chart.getStyler().setAvailableSpaceFill(0.6);
    chart.getStyler().setYAxisDecimalPattern("#,##0.#");
    chart.addSeries(y.isEmpty() ? "count" : y, labels, values).setFillColor(color);
    return chart;
  }

  private static void style(Styler s) {
    s.setChartBackgroundColor(Color.WHITE);
    s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    s.setLegendPosition(Styler.LegendPosition.InsideNE);
    s.setLegendBorderColor(Color.LIGHT_GRAY);
    s.setPlotBorderVisible(false);
    s.setAntiAlias(true);
    s.setChartPadding(10);
  }

  private static XYChart histogramChart(String title, String scale, String score) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(title(score) + (scale.equals("POSITIVE") ? " (log scale)" : ""))
        .yAxisTitle("documents per bin").build();
    style(chart.getStyler());
    chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.StepArea);
    chart.getStyler().setYAxisDecimalPattern("#,##0");
    chart.getStyler().setYAxisMin(0.0);
    // The bins span the scores' own range, not the whole scale: the axis follows them.
    xAxis(chart, scale);
    return chart;
  }

  /**
   * A positive score is drawn at log10 of its value on a linear axis whose ticks print the value:
   * XChart's logarithmic axis labels powers of ten only, so a range within a decade got no label.
   */
  private static void xAxis(XYChart chart, String scale) {
    if (scale.equals("POSITIVE")) {
      chart.getStyler().setxAxisTickLabelsFormattingFunction(t -> String.format(Locale.ROOT, "%.3g", Math.pow(10, t)));
    } else {
      chart.getStyler().setXAxisDecimalPattern("0.0##");
    }
  }

  /** Where a score's value sits on its chart's x axis (see {@link #xAxis}). */
  private static double x(String scale, double value) {
    return scale.equals("POSITIVE") ? Math.log10(value) : value;
  }

  /** A step area over the bins' edges (the bins of one score share their edges); gaps between bins show as zero. */
  private static void addHistogram(XYChart chart, String scale, String name, JsonNode h, Color color, int alpha) {
    List<Double> x = new ArrayList<>();
    List<Double> y = new ArrayList<>();
    JsonNode bins = h.path("bins");
    if (bins.size() == 0) {
      return;
    }
    double previousHi = Double.NaN;
    for (JsonNode b : bins) {
      double lo = b.path("lo").asDouble();
      if (!Double.isNaN(previousHi) && lo > previousHi * (1 + 1e-9) + 1e-12) {
        x.add(x(scale, previousHi));
        y.add(0.0);
      }
      x.add(x(scale, lo));
      y.add(b.path("count").asDouble());
      previousHi = b.path("hi").asDouble();
    }
    x.add(x(scale, previousHi));
    y.add(0.0);
    XYSeries s = chart.addSeries(name, x, y);
    s.setMarker(SeriesMarkers.NONE);
    s.setFillColor(new Color(color.getRed(), color.getGreen(), color.getBlue(), alpha));
    s.setLineColor(color.darker());
  }

  /** The fraction kept per bin, for bins that hold a document. */
  private static XYChart keptFraction(String label, String score, String scale, JsonNode kept, JsonNode dropped) {
    java.util.TreeMap<Double, double[]> byBin = new java.util.TreeMap<>();
    for (JsonNode b : kept.path("bins")) {
      byBin.computeIfAbsent(b.path("lo").asDouble(), k -> new double[3])[0] += b.path("count").asDouble();
      byBin.get(b.path("lo").asDouble())[2] = b.path("hi").asDouble();
    }
    for (JsonNode b : dropped.path("bins")) {
      byBin.computeIfAbsent(b.path("lo").asDouble(), k -> new double[3])[1] += b.path("count").asDouble();
      byBin.get(b.path("lo").asDouble())[2] = b.path("hi").asDouble();
    }
    byBin.values().removeIf(v -> v[0] + v[1] == 0);
    if (byBin.size() < 2) {
      return null;
    }
    List<Double> x = new ArrayList<>();
    List<Double> y = new ArrayList<>();
    byBin.forEach((lo, v) -> {
      x.add((x(scale, lo) + x(scale, v[2])) / 2);
      y.add(v[0] / (v[0] + v[1]));
    });
    XYChart chart = new XYChartBuilder().width(WIDTH).height(260).title(label + ": fraction kept per bin")
        .xAxisTitle(title(score) + (scale.equals("POSITIVE") ? " (log scale)" : "")).yAxisTitle("kept / all").build();
    style(chart.getStyler());
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setYAxisMax(1.0);
    xAxis(chart, scale);
    XYSeries s = chart.addSeries("kept fraction", x, y);
    s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    s.setMarker(SeriesMarkers.CIRCLE);
    s.setLineColor(KEPT);
    s.setMarkerColor(KEPT);
    return chart;
  }

  private void img(Chart<?, ?> chart, String alt) throws IOException {
    byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    charts++;
    html.append("<img alt=\"").append(esc(alt)).append("\" width=\"").append(chart.getWidth()).append("\" src=\"data:image/png;base64,")
        .append(Base64.getEncoder().encodeToString(png)).append("\">\n");
  }

  // ------------------------------------------------------------------ text

  private void stats(JsonNode h, String what) {
    html.append("<p>").append(count(h.path("count").asLong())).append(' ').append(what).append(" · min ").append(num(h.path("min")))
        .append(" · mean ").append(num(h.path("mean"))).append(" · max ").append(num(h.path("max")));
    if (h.path("outOfRange").asLong() > 0) {
      html.append(" · <span class=\"bad\">").append(count(h.path("outOfRange").asLong())).append(" outside the scale</span>");
    }
    html.append("</p>\n");
  }

  private void row(String k, String vHtml) {
    html.append("<tr><td>").append(k).append("</td><td>").append(vHtml).append("</td></tr>\n");
  }

  static String title(String score) {
    switch (score) {
      case "askllm":
        return "ASK-LLM P(yes)";
      case "density":
        return "Density (KDE)";
      case "perplexity":
        return "Perplexity";
      default:
        // --signals: "signal.stop_word_fraction" -> "Signal: stop word fraction"
        return score.startsWith("signal.") ? "Signal: " + score.substring(7).replace('_', ' ') : score;
    }
  }

  private static String words(String camel) {
    return camel.replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(Locale.ROOT);
  }

  static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  private static String pct(double f) {
    return String.format(Locale.ROOT, "%.1f %%", 100 * f);
  }

  private static String fmt(double d) {
    return String.format(Locale.ROOT, "%.3f", d);
  }

  private static String num(JsonNode n) {
    if (n == null || n.isMissingNode() || n.isNull()) {
      return "";
    }
    double d = n.asDouble();
    double a = Math.abs(d);
    if (d == 0) {
      return "0";
    }
    return a >= 1e5 || a < 1e-3 ? String.format(Locale.ROOT, "%.3e", d) : String.format(Locale.ROOT, "%.4g", d);
  }

  private static String shortName(String path) {
    String file = RunReport.sourceFile(path);
    int slash = file.lastIndexOf('/');
    String name = slash >= 0 ? file.substring(slash + 1) : file;
    return path.equals(file) ? name : name + path.substring(file.length());
  }

  private static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }

  static String esc(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
