package dev.dataselect.pipelines.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of {@code --job=compare}: the Jaccard overlaps as a heat map (a table whose cells are
 * shaded by overlap) and one row per selection with its figures. {@link #render} is the standalone
 * {@code compare.html}; {@link #fragment} the same tables for the run report's comparison section.
 * Plain HTML and inline styles: it opens from the file system with no script.
 */
public final class CompareHtml {
  private CompareHtml() {}

  /** {@code compare.html}. */
  public static String render(JsonNode json) {
    return "<!doctype html><html><head><meta charset=\"utf-8\"><title>Selections compared</title>"
        + "<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
        + "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}</style></head><body>"
        + "<h1>Selections compared</h1>" + fragment(json) + "</body></html>\n";
  }

  /** The overlap heat map and the per-selection table, as HTML to place in a page. */
  static String fragment(JsonNode json) {
    List<String> names = new ArrayList<>();
    json.path("selections").fieldNames().forEachRemaining(names::add);
    StringBuilder h = new StringBuilder();
    h.append("<h3>Overlap (Jaccard of kept ids)</h3><table><tr><th></th>");
    for (String n : names) {
      h.append("<th>").append(escape(n)).append("</th>");
    }
    h.append("</tr>");
    for (String a : names) {
      h.append("<tr><th>").append(escape(a)).append("</th>");
      for (String b : names) {
        double j = a.equals(b) ? 1.0 : jaccard(json, a, b);
        int shade = (int) Math.round(255 - 175 * (Double.isNaN(j) ? 0 : j));
        h.append(String.format(Locale.ROOT, "<td style=\"background:rgb(%d,%d,255)\">%.3f</td>", shade, shade, j));
      }
      h.append("</tr>");
    }
    h.append("</table><h3>Each selection</h3><table><tr><th>selection</th>");
    List<String> columns = new ArrayList<>();
    if (!names.isEmpty()) {
      Iterator<Map.Entry<String, JsonNode>> f = json.path("selections").path(names.get(0)).fields();
      while (f.hasNext()) {
        Map.Entry<String, JsonNode> e = f.next();
        if (e.getValue().isValueNode()) {
          columns.add(e.getKey());
        }
      }
    }
    for (String c : columns) {
      h.append("<th>").append(escape(c)).append("</th>");
    }
    h.append("</tr>");
    for (String n : names) {
      h.append("<tr><th>").append(escape(n)).append("</th>");
      for (String c : columns) {
        JsonNode v = json.path("selections").path(n).path(c);
        h.append("<td>").append(v.isIntegralNumber() ? String.valueOf(v.asLong())
            : v.isNumber() ? String.format(Locale.ROOT, "%.4f", v.asDouble()) : escape(v.asText())).append("</td>");
      }
      h.append("</tr>");
    }
    h.append("</table>");
    if (json.has("coverage")) {
      h.append("<p>coverageMeanDistance: ").append(escape(json.get("coverage").asText())).append("</p>");
    }
    return h.toString();
  }

  private static double jaccard(JsonNode json, String a, String b) {
    JsonNode o = json.path("overlaps").path(a + " | " + b);
    if (o.isMissingNode()) {
      o = json.path("overlaps").path(b + " | " + a);
    }
    return o.path("jaccard").asDouble(Double.NaN);
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
