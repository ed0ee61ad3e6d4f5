package dev.dataselect.pipelines;

import dev.dataselect.transforms.testing.TestPipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.pipelines.options.DataselectOptions;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.PipelineResult;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real run (ASK-LLM fixture + DENSITY over MiniLM embeddings, two source files, two languages, a
 * bad record and a duplicate) renders its report, which headless Chromium opens offline: every image
 * decodes and every count shown equals {@code summary.json}.
 *
 * <p>Needs Debian's {@code chromium} ({@code .ci/run} installs it). Without it the test fails with
 * a message saying so; set {@code DATASELECT_SKIP_CHROMIUM=1} to skip only the browser part locally.
 */
class RunReportTest {
  @TempDir Path dir;

  private static final List<String> TOPICS = List.of(
      "The central bank raised interest rates to slow inflation in the economy",
      "A striker scored twice in the final minutes of the football match",
      "The recipe calls for flour, butter, sugar and two eggs baked for an hour",
      "Researchers sequenced the genome of a rare deep sea bacterium",
      "The new smartphone has a larger battery and a faster processor");

  private Path corpus() throws IOException {
    StringBuilder a = new StringBuilder();
    for (int i = 0; i < 30; i++) {
      a.append("{\"id\": \"a-").append(i).append("\", \"lang\": \"en\", \"text\": \"").append(TOPICS.get(0)).append(", report number ")
          .append(i).append(i % 4 == 0 ? " yes" : "").append(".\"}\n");
    }
    a.append("{\"id\": \"a-dup\", \"lang\": \"en\", \"text\": \"").append(TOPICS.get(0)).append(", report number 1.\"}\n");
    a.append("{this is not json}\n");
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 12; i++) {
      b.append("{\"id\": \"b-").append(i).append("\", \"lang\": \"").append(i % 3 == 0 ? "de" : "en").append("\", \"text\": \"")
          .append(TOPICS.get(1 + i % 4)).append(" <b>story</b> ").append(i).append(".\"}\n");
    }
    dev.dataselect.transforms.testing.Fixtures.write(dir.resolve("in/a.jsonl"), a.toString());
    dev.dataselect.transforms.testing.Fixtures.write(dir.resolve("in/b.jsonl"), b.toString());
    return dir.resolve("in");
  }

  @Test
  void reportOfARealRunOpensInChromiumWithEveryImageAndTheSummaryNumbers() throws Exception {
    Path out = dir.resolve("out");
    DataselectOptions options = JobRuns.selectOptions("--input=" + corpus() + "/", "--output=" + out, "--metadataFields=lang",
        "--quality=askllm", "--askLlmModel=" + JobRuns.askLlmFixture(dir), "--sampler=density", "--rate=0.3", "--seed=3",
        "--kdeSampleSize=30", "--progressSeconds=0");
    PipelineResult result = Dataselect.run(options);
    assertEquals(PipelineResult.State.DONE, TestPipelines.await(result, JobRuns.JOB_LIMIT));
    String page = Dataselect.finishReport(result, out.toString());
    JsonNode summary = JobRuns.summary(out);
    assertEquals(1, summary.get("duplicates").asLong());
    assertTrue(summary.path("deadLetters").size() > 0, "a dead letter: " + summary);

    // The data files, computed in the pipeline.
    ObjectMapper mapper = new ObjectMapper();
    Path data = out.resolve("report/data");
    JsonNode askllm = mapper.readTree(data.resolve("histogram-askllm.json").toFile());
    JsonNode density = mapper.readTree(data.resolve("histogram-density.json").toFile());
    long scored = summary.get("selected").asLong() + summary.get("rejected").asLong();
    assertEquals(scored, askllm.at("/series/all/count").asLong());
    assertEquals(scored, density.at("/series/all/count").asLong());
    assertEquals(scored, sumBins(askllm.at("/series/all/bins")));
    JsonNode decisions = mapper.readTree(data.resolve("decisions-density@0.3.json").toFile());
    assertEquals(summary.get("selected").asLong(), decisions.at("/series/kept/count").asLong());
    assertEquals(summary.get("rejected").asLong(), decisions.at("/series/dropped/count").asLong());
    // 40 bins fitted to the densities' range, shared by the kept/dropped overlay.
    assertEquals(scored, sumBins(density.at("/series/all/bins")));
    assertEquals(40, density.at("/series/all/bins").size());
    assertEquals(density.at("/series/all/min").asDouble(), density.at("/binning/lo").asDouble(), 0.0);
    assertEquals(density.get("binning"), decisions.get("binning"));
    assertEquals(density.at("/series/all/bins/17/lo"), decisions.at("/series/kept/bins/17/lo"));
    JsonNode counts = mapper.readTree(data.resolve("counts.json").toFile());
    assertEquals(4, counts.at("/language/de/documents").asLong());
    assertEquals(12, counts.at("/source/" + dir.resolve("in/b.jsonl").toString().replace("~", "~0").replace("/", "~1") + "/documents").asLong());
    long selectedBySource = 0;
    for (JsonNode s : counts.path("source")) {
      selectedBySource += s.path("selected").asLong();
    }
    assertEquals(summary.get("selected").asLong(), selectedBySource);
    JsonNode examples = mapper.readTree(data.resolve("examples.json").toFile());
    assertEquals(5, examples.at("/scores/askllm/top").size());
    assertTrue(examples.at("/scores/density/bottom/0/snippet").asText().length() > 20, examples.toString());
    JsonNode timings = mapper.readTree(data.resolve("timings.json").toFile());
    assertTrue(timings.toString().contains("\"Embed\""), timings.toString());

    String html = Files.readString(Path.of(page), StandardCharsets.UTF_8);
    assertFalse(html.contains("<script"), "the report itself needs no script");
    assertFalse(Pattern.compile("(src|href)=\"(https?:)?//").matcher(html).find(), "no external reference");
    assertTrue(html.contains("&lt;b&gt;story&lt;/b&gt;"), "snippets are HTML-escaped");
    for (String section : List.of("counts", "dead", "scores", "decisions", "sources", "examples", "timings")) {
      assertTrue(html.contains("<section id=\"" + section + "\">"), "section " + section);
    }

    Path browser = chromium();
    if (browser == null) {
      return;
    }
    String dom = dumpDom(browser, withImageCheck(Path.of(page)));
    Matcher images = Pattern.compile("data-images=\"(\\d+)/(\\d+)\"").matcher(dom);
    assertTrue(images.find(), "the check script ran in Chromium:\n" + head(dom));
    int total = Integer.parseInt(images.group(1));
    int decoded = Integer.parseInt(images.group(2));
    assertTrue(total >= 8, "charts on the page: " + total);
    assertEquals(total, decoded, "every image decodes");

    Matcher shown = Pattern.compile("data-summary=\"([^\"]+)\">([^<]*)<").matcher(dom);
    Set<String> pointers = new HashSet<>();
    while (shown.find()) {
      String pointer = shown.group(1);
      JsonNode expected = summary.at(pointer);
      assertFalse(expected.isMissingNode(), "shown " + pointer + " is in summary.json");
      String text = shown.group(2).replace(",", "").trim();
      if (pointer.equals("/wallSeconds")) {
        assertEquals(expected.asDouble(), Double.parseDouble(text), 0.0005, pointer);
      } else {
        assertEquals(expected.asLong(), Long.parseLong(text), pointer);
      }
      pointers.add(pointer);
    }
    List<String> required = new ArrayList<>(List.of("/records", "/documents", "/duplicates", "/selected", "/rejected", "/unscored",
        "/inferenceFailures", "/wallSeconds"));
    summary.path("deadLetters").fieldNames().forEachRemaining(r -> required.add("/deadLetters/" + r));
    assertTrue(pointers.containsAll(required), "shown " + pointers + ", need " + required);
    Matcher kept = Pattern.compile("data-decision=\"density@0.3/kept\">([^<]*)<").matcher(dom);
    assertTrue(kept.find());
    assertEquals(summary.get("selected").asLong(), Long.parseLong(kept.group(1).replace(",", "")));

    Path png = Path.of("target", "run-report-test.png").toAbsolutePath();
    Files.deleteIfExists(png);
    run(browser, List.of("--screenshot=" + png, "--window-size=1280,9000", Path.of(page).toUri().toString()));
    assertTrue(Files.size(png) > 50_000, "screenshot " + png);
  }

  private static long sumBins(JsonNode bins) {
    long n = 0;
    for (JsonNode b : bins) {
      n += b.path("count").asLong();
    }
    return n;
  }

  /** A copy of the page with a script that records, after load, how many images decoded. */
  private Path withImageCheck(Path page) throws IOException {
    String html = Files.readString(page, StandardCharsets.UTF_8);
    String script = "<script>window.addEventListener('load',function(){var im=document.images,ok=0;"
        + "for(var i=0;i<im.length;i++){var g=im[i].complete&&im[i].naturalWidth>0;im[i].setAttribute('data-decoded',g?'yes':'no');if(g)ok++;}"
        + "document.body.setAttribute('data-images',im.length+'/'+ok);});</script>";
    Path check = page.resolveSibling("check.html");
    Files.writeString(check, html.replace("</body>", script + "</body>"), StandardCharsets.UTF_8);
    return check;
  }

  private String dumpDom(Path browser, Path page) throws Exception {
    return run(browser, List.of("--dump-dom", "--virtual-time-budget=10000", page.toUri().toString()));
  }

  /** Runs headless Chromium offline with a fresh profile; returns its stdout. */
  private String run(Path browser, List<String> args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(browser.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-extensions", "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
        "--user-data-dir=" + Files.createTempDirectory(dir, "chromium-profile")));
    cmd.addAll(args);
    Path stdout = Files.createTempFile(dir, "chromium", ".out");
    Path stderr = Files.createTempFile(dir, "chromium", ".err");
    Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("chromium did not finish in 120 s: " + Files.readString(stderr));
    }
    assertEquals(0, p.exitValue(), "chromium failed: " + Files.readString(stderr));
    return Files.readString(stdout, StandardCharsets.UTF_8);
  }

  private static Path chromium() {
    for (String name : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser")) {
      if (new File(name).canExecute()) {
        return Path.of(name);
      }
    }
    if ("1".equals(System.getenv("DATASELECT_SKIP_CHROMIUM"))) {
      Assumptions.abort("DATASELECT_SKIP_CHROMIUM=1 and no chromium: the page is not opened in a browser");
    }
    fail("Debian's chromium is not installed (/usr/bin/chromium): `apt-get install -y chromium` (.ci/run does it); "
        + "set DATASELECT_SKIP_CHROMIUM=1 to skip the browser check locally");
    return null;
  }

  private static String head(String s) {
    return s.length() > 2000 ? s.substring(0, 2000) : s;
  }
}
