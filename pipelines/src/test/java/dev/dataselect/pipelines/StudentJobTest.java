package dev.dataselect.pipelines;

import dev.dataselect.transforms.testing.TestPipelines;

import dev.dataselect.transforms.DocumentScore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.transforms.student.StudentModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --job=train-student on a labelled JSONL (real MiniLM embeddings), then --quality=student in the main job. */
class StudentJobTest {
  @TempDir Path dir;

  private static final List<String> GOOD = List.of(
      "The committee published a detailed report on water quality in the river basin",
      "Researchers explain how photosynthesis converts light into chemical energy in plants",
      "The museum opened a new exhibition about the history of early printing presses",
      "A clear introduction to linear algebra covering vectors, matrices and eigenvalues",
      "The city council approved funding to repair bridges and expand public libraries");
  private static final List<String> BAD = List.of(
      "CLICK HERE buy cheap pills now best price free shipping!!!",
      "lol lol lol omg omg subscribe like follow follow",
      "casino bonus casino bonus win win win jackpot now now",
      "hot singles in your area click now free free free",
      "$$$ make money fast from home no work $$$ guaranteed");

  /** 60 labelled records (30 informative = 1, 30 spam = 0) plus one without a label and one with a bad label. */
  private Path labels() {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 30; i++) {
      s.append("{\"id\": \"good-").append(i).append("\", \"text\": \"").append(GOOD.get(i % 5)).append(", part ").append(i).append(".\", \"label\": 1}\n");
      s.append("{\"id\": \"bad-").append(i).append("\", \"text\": \"").append(BAD.get(i % 5)).append(" ").append(i).append("\", \"label\": 0}\n");
    }
    s.append("{\"id\": \"unlabelled\", \"text\": \"A document nobody labelled.\"}\n");
    s.append("{\"id\": \"wrong\", \"text\": \"A document with a word for a label.\", \"label\": \"maybe\"}\n");
    return dev.dataselect.transforms.testing.Fixtures.write(dir.resolve("labels.jsonl"), s.toString());
  }

  private Path train(String... more) throws IOException {
    Path labels = labels();
    Path out = dir.resolve("train" + String.join("", more).replaceAll("[^a-z]", ""));
    List<String> args = new java.util.ArrayList<>(List.of("--job=train-student", "--labelsFile=" + labels,
        "--labelField=label", "--textField=text", "--output=" + out, "--studentFolds=3", "--seed=9",
        "--studentLambdas=1e-4,1e-2,1", "--studentSignalLambdas=1e-2,1", "--studentPasses=5"));
    args.addAll(List.of(more));
    PipelineResult.State state = TestPipelines.await(Dataselect.run(JobRuns.options(args.toArray(new String[0]))), JobRuns.JOB_LIMIT);
    assertEquals(PipelineResult.State.DONE, state);
    return out;
  }

  @Test
  void trainsALogisticStudentOnLabelledTextsThenScoresAndSelectsACorpusWithIt() throws IOException {
    Path out = train();
    JsonNode metrics = new ObjectMapper().readTree(Files.readString(out.resolve("student-report/metrics.json")));
    assertEquals("logistic", metrics.get("task").asText());
    double auc = metrics.at("/fit/heldOutAuc").asDouble();
    assertTrue(auc > 0.9 && auc <= 1.0, "held-out AUC " + auc + " in " + metrics);
    assertTrue(metrics.at("/fit/heldOutPairs").asInt() >= 10, metrics.toString());
    assertEquals(62, metrics.at("/counts/records").asLong());
    assertEquals(60, metrics.at("/counts/examples").asLong());
    assertEquals(1, metrics.at("/counts/deadLetters.missing_label").asLong());
    assertEquals(1, metrics.at("/counts/deadLetters.bad_label").asLong());
    assertTrue(Files.size(out.resolve("student-report/calibration.png")) > 1000);
    assertTrue(Files.exists(out.resolve("student-report/calibration.json")));
    assertTrue(Files.exists(out.resolve("student-report/examples.json")));
    StudentModel model = StudentModel.read(out.resolve("student.json").toString());
    assertEquals(384, model.dimension());
    assertEquals("all-MiniLM-L6-v2", model.embedding().get("model"), model.embedding().toString());
    // --studentFeatures defaults to both: the signals' weights are in the model and the report, and
    // the fit reports each block alone on the same fold
    assertEquals(StudentModel.Features.BOTH, model.features());
    assertEquals(dev.dataselect.transforms.student.SignalFeatures.names(), model.signalNames());
    for (String block : List.of("both", "embedding", "signals")) {
      double b = metrics.at("/fit/blocks/" + block + "/heldOutAuc").asDouble(-1);
      assertTrue(b >= 0.5 && b <= 1.0, block + " " + metrics.at("/fit/blocks"));
    }
    assertTrue(Files.size(out.resolve("student-report/signal-weights.png")) > 1000);
    JsonNode weights = new ObjectMapper().readTree(Files.readString(out.resolve("student-report/signal-weights.json")));
    assertEquals(model.signalNames().size(), weights.size());
    assertTrue(Math.abs(weights.get(0).get("weightPerSd").asDouble()) >= Math.abs(weights.get(weights.size() - 1).get("weightPerSd").asDouble()));
    assertTrue(StudentReport.blocksBrief(metrics).startsWith("held-out AUC both "), StudentReport.blocksBrief(metrics));

    // The main job scores a new corpus with the student alone and keeps the best half.
    StringBuilder corpus = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      corpus.append("{\"id\": \"g").append(i).append("\", \"text\": \"").append(GOOD.get(i % 5)).append(", new chapter ").append(i + 100).append(".\"}\n");
      corpus.append("{\"id\": \"b").append(i).append("\", \"text\": \"").append(BAD.get(i % 5)).append(" again ").append(i + 100).append("\"}\n");
    }
    Path in = dev.dataselect.transforms.testing.Fixtures.write(dir.resolve("corpus.jsonl"), corpus.toString());
    JsonNode summary = JobRuns.run("--input=" + in, "--sampler=quality", "--quality=student", "--rate=0.5",
        "--studentModel=" + out.resolve("student.json"), "--output=" + dir.resolve("select"), "--progressSeconds=0");
    assertEquals(0, summary.get("unscored").asLong());
    assertEquals(20, summary.get("selected").asLong() + summary.get("rejected").asLong());
    Map<String, Double> scores = ModelJobTest.scores(dir.resolve("select/scores/student"));
    assertEquals(20, scores.size());
    for (int i = 0; i < 10; i++) {
      assertTrue(scores.get("g" + i) > scores.get("b" + i), "g" + i + " " + scores.get("g" + i) + " vs b" + i + " " + scores.get("b" + i));
    }
    List<String> kept = List.of(JobRuns.selectedIds(dir.resolve("select")).split("\n"));
    long good = kept.stream().filter(id -> id.startsWith("g")).count();
    assertTrue(good >= 8, "kept " + kept);
  }

  /**
   * An earlier run's persisted scores as the teacher (written here with WriteScores: 1 for the
   * informative texts, 0 for spam, plus a small per-document offset), embeddings from a cache or
   * embedded again from --input.
   */
  @Test
  void trainsARidgeStudentOnPersistedScoresFromTheCacheOrTheCorpus() throws IOException {
    StringBuilder corpus = new StringBuilder();
    List<dev.dataselect.transforms.Document> docs = new java.util.ArrayList<>();
    List<dev.dataselect.transforms.DocumentScore> scores = new java.util.ArrayList<>();
    for (int i = 0; i < 30; i++) {
      boolean good = i % 2 == 0;
      String text = (good ? GOOD : BAD).get(i % 5) + " (" + i + ")";
      corpus.append("{\"id\": \"d").append(i).append("\", \"text\": \"").append(text).append("\"}\n");
      docs.add(dev.dataselect.transforms.Document.of("d" + i, text, "corpus.jsonl"));
      scores.add(dev.dataselect.transforms.DocumentScore.of("d" + i, (good ? 1.0 : 0.0) + 0.001 * i));
    }
    scores.add(dev.dataselect.transforms.DocumentScore.of("not-in-corpus", 0.5));
    Path in = dev.dataselect.transforms.testing.Fixtures.write(dir.resolve("corpus.jsonl"), corpus.toString());
    Path cache = dir.resolve("cache");
    Path teacher = dir.resolve("teacher");
    org.apache.beam.sdk.Pipeline p = TestPipelines.create(JobRuns.DIRECT_RUNNER_FLAGS.toArray(new String[0]));
    dev.dataselect.transforms.inference.Embed embed =
        dev.dataselect.transforms.inference.Embed.with(dev.dataselect.models.ModelPresets.allMiniLmL6V2());
    p.apply("Docs", org.apache.beam.sdk.transforms.Create.of(docs)).apply(embed)
        .get(dev.dataselect.transforms.inference.Embed.EMBEDDINGS)
        .apply(dev.dataselect.transforms.inference.WriteEmbeddings.to(cache.toString()).withMetadata(embed.metadata()).withNumShards(1));
    p.apply("Scores", org.apache.beam.sdk.transforms.Create.of(scores))
        .apply(dev.dataselect.transforms.inference.WriteScores.to(teacher.toString()).withMetadata(Map.of("stage", "teacher-test")).withNumShards(1));
    TestPipelines.run(p);
    // Signals need the texts: from the cache alone, only an embedding student can be trained.
    IllegalArgumentException noTexts = assertThrows(IllegalArgumentException.class, () -> Dataselect.run(JobRuns.options(
        "--job=train-student", "--teacherScores=" + teacher, "--embeddingsCache=" + cache, "--output=" + dir.resolve("x"))));
    assertTrue(noTexts.getMessage().contains("--studentFeatures=both needs the documents' texts"), noTexts.getMessage());
    for (String source : List.of("--embeddingsCache=" + cache, "--input=" + in)) {
      Path out = dir.resolve(source.startsWith("--input") ? "fromCorpus" : "fromCache");
      assertEquals(PipelineResult.State.DONE, TestPipelines.await(Dataselect.run(JobRuns.options("--job=train-student", "--teacherScores=" + teacher,
          source, "--studentFeatures=" + (source.startsWith("--input") ? "both" : "embedding"), "--output=" + out,
          "--studentFolds=3", "--studentLambdas=1e-5,1e-3,1e-1")), JobRuns.JOB_LIMIT));
      JsonNode metrics = new ObjectMapper().readTree(Files.readString(out.resolve("student-report/metrics.json")));
      assertEquals("ridge", metrics.get("task").asText());
      assertEquals(30, metrics.at("/counts/examples").asLong(), metrics.toString());
      assertEquals(1, metrics.at("/counts/teacherWithoutEmbedding").asLong(), metrics.toString());
      assertEquals(30, metrics.at("/fit/heldOutPairs").asLong());
      double r2 = metrics.at("/fit/heldOutR2").asDouble();
      assertTrue(r2 > 0.6, source + ": held-out R² " + r2 + " in " + metrics);
      assertTrue(metrics.at("/fit/heldOutSpearman").asDouble() > 0.6, metrics.toString());
      StudentModel model = StudentModel.read(out.resolve("student.json").toString());
      assertEquals("scores", model.teacher().get("kind"));
      assertEquals("teacher-test", model.teacher().get("scores.stage"), model.teacher().toString());
    }
  }

  /**
   * {@code --teacher=askllm}: the teacher model runs over the corpus inside train-student; with the
   * score store a select run filled, every teacher score is served (none scored again) and the
   * student equals the one trained on freshly computed scores.
   */
  @Test
  void anAskLlmTeacherIsServedFromTheStoreASelectRunFilled() throws IOException {
    StringBuilder corpus = new StringBuilder();
    for (int i = 0; i < 24; i++) {
      String text = (i % 2 == 0 ? GOOD : BAD).get(i % 5) + " (" + i + ")";
      corpus.append("{\"id\": \"d").append(i).append("\", \"text\": \"").append(text).append("\"}\n");
    }
    Path in = dev.dataselect.transforms.testing.Fixtures.write(dir.resolve("corpus.jsonl"), corpus.toString());
    Path model = JobRuns.askLlmFixture(dir);
    String store = "--scoreStore=" + dir.resolve("store");
    JsonNode select = JobRuns.run("--input=" + in, "--output=" + dir.resolve("select"), "--quality=askllm", "--askLlmModel=" + model,
        "--sampler=quality", "--rate=0.5", store, "--progressSeconds=0");
    assertEquals(24, select.at("/store/askllmScored").asLong(), select.toString());

    List<String> train = List.of("--job=train-student", "--teacher=askllm", "--askLlmModel=" + model, "--input=" + in,
        "--studentFeatures=signals", "--studentFolds=3", "--studentSignalLambdas=1e-2,1", "--seed=9");
    JsonNode served = trainWith(train, "served", store);
    assertEquals(24, served.at("/counts/storeAskllmServed").asLong(), served.toString());
    assertEquals(0, served.at("/counts/storeAskllmScored").asLong(0), "no teacher score computed again: " + served);
    assertEquals(24, served.at("/counts/examples").asLong(), served.toString());
    JsonNode fresh = trainWith(train, "fresh");
    assertTrue(fresh.at("/counts/storeAskllmServed").isMissingNode(), fresh.toString());
    StudentModel a = StudentModel.read(dir.resolve("served/student.json").toString());
    StudentModel b = StudentModel.read(dir.resolve("fresh/student.json").toString());
    assertEquals("model", a.teacher().get("kind"), a.teacher().toString());
    assertEquals(Files.readString(dir.resolve("fresh/student.json")), Files.readString(dir.resolve("served/student.json")),
        "served teacher scores are the computed ones, bit for bit: the same student");
    assertEquals(b.teacher(), a.teacher());

    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Dataselect.run(JobRuns.options(
        "--job=train-student", "--teacher=gpt", "--input=" + in, "--output=" + dir.resolve("x"))));
    assertTrue(bad.getMessage().contains("--teacher must be askllm or perplexity"), bad.getMessage());
  }

  private JsonNode trainWith(List<String> args, String out, String... more) throws IOException {
    List<String> all = new java.util.ArrayList<>(args);
    all.add("--output=" + dir.resolve(out));
    all.addAll(List.of(more));
    assertEquals(PipelineResult.State.DONE, TestPipelines.await(Dataselect.run(JobRuns.options(all.toArray(new String[0]))), JobRuns.JOB_LIMIT));
    return new ObjectMapper().readTree(Files.readString(dir.resolve(out).resolve("student-report/metrics.json")));
  }

  /** A signals-only student runs no embedding model, and the main job scores with it from the texts. */
  @Test
  void aSignalsOnlyStudentNeedsNoEmbeddingModel() throws IOException {
    Path out = train("--studentFeatures=signals");
    StudentModel model = StudentModel.read(out.resolve("student.json").toString());
    assertEquals(StudentModel.Features.SIGNALS, model.features());
    assertEquals(0, model.dimension());
    assertTrue(model.embedding().isEmpty(), model.embedding().toString());
    JsonNode metrics = new ObjectMapper().readTree(Files.readString(out.resolve("student-report/metrics.json")));
    assertEquals(60, metrics.at("/counts/examples").asLong(), metrics.toString());
    assertTrue(metrics.at("/fit/heldOutAuc").asDouble() > 0.8, metrics.toString());
    StringBuilder corpus = new StringBuilder();
    Map<String, String> texts = new java.util.HashMap<>();
    for (int i = 0; i < 6; i++) {
      texts.put("g" + i, GOOD.get(i % 5) + " (" + i + ").");
      texts.put("b" + i, BAD.get(i % 5) + " " + i);
    }
    texts.forEach((id, text) -> corpus.append("{\"id\": \"").append(id).append("\", \"text\": \"").append(text).append("\"}\n"));
    Path in = dev.dataselect.transforms.testing.Fixtures.write(dir.resolve("signals-corpus.jsonl"), corpus.toString());
    JsonNode summary = JobRuns.run("--input=" + in, "--sampler=quality", "--quality=student", "--rate=0.5",
        "--studentModel=" + out.resolve("student.json"), "--output=" + dir.resolve("select-signals"), "--progressSeconds=0");
    assertEquals(0, summary.get("unscored").asLong());
    Map<String, Double> scores = ModelJobTest.scores(dir.resolve("select-signals/scores/student"));
    assertEquals(12, scores.size());
    for (String id : scores.keySet()) {
      assertEquals(model.score(new float[0], dev.dataselect.transforms.student.SignalFeatures.of(texts.get(id))), scores.get(id), 1e-9, id);
    }

    // --job=pick-for-labelling: the combined sampler on the student's uncertainty; a count of the
    // whole corpus picks every document, a smaller one the same ids on every run.
    String student = "--studentModel=" + out.resolve("student.json");
    JsonNode all = JobRuns.run("--job=pick-for-labelling", "--input=" + in, student, "--count=12",
        "--output=" + dir.resolve("pick-all"), "--progressSeconds=0");
    assertEquals(12, all.get("selected").asLong(), all.toString());
    assertEquals(0, all.at("/filters/alreadyLabelled").asLong(0), all.toString());
    // the student's own labels file is left out of a corpus that contains it
    JsonNode mixed = JobRuns.run("--job=pick-for-labelling", "--input=" + dir.resolve("labels.jsonl") + "," + in, student,
        "--count=12", "--output=" + dir.resolve("pick-mixed"), "--progressSeconds=0");
    assertEquals(62, mixed.at("/filters/alreadyLabelled").asLong(), mixed.toString());
    assertEquals(12, mixed.get("selected").asLong(), mixed.toString());
    assertTrue(mixed.at("/reconciles/" + Summary.DOCUMENTS_RECONCILE).asBoolean(), mixed.toString());
    assertEquals("combined", all.at("/options/sampler").asText().toLowerCase(java.util.Locale.ROOT), all.toString());
    JsonNode four = JobRuns.run("--job=pick-for-labelling", "--input=" + in, student, "--count=4",
        "--output=" + dir.resolve("pick-4"), "--progressSeconds=0");
    assertEquals(12, four.get("selected").asLong() + four.get("rejected").asLong(), four.toString());
    assertTrue(four.get("selected").asLong() >= 1 && four.get("selected").asLong() <= 8, four.toString());
    JobRuns.run("--job=pick-for-labelling", "--input=" + in, student, "--count=4", "--output=" + dir.resolve("pick-4-again"),
        "--progressSeconds=0");
    assertEquals(JobRuns.selectedIds(dir.resolve("pick-4")), JobRuns.selectedIds(dir.resolve("pick-4-again")));
    // without a student: a coverage sample; without a count: an error naming it
    JsonNode seed = JobRuns.run("--job=pick-for-labelling", "--input=" + in, "--count=4", "--output=" + dir.resolve("pick-seed"),
        "--progressSeconds=0");
    assertEquals("density", seed.at("/options/sampler").asText().toLowerCase(java.util.Locale.ROOT), seed.toString());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Dataselect.run(JobRuns.options(
        "--job=pick-for-labelling", "--input=" + in, student, "--output=" + dir.resolve("pick-none"))));
    assertTrue(e.getMessage().contains("--count=N"), e.getMessage());
  }

  @Test
  void theMainJobRefusesAStudentOfAnotherEmbeddingModel() throws IOException {
    StudentModel other = StudentModel.of(StudentModel.Task.RIDGE, new double[384], 0, 1, Map.of("model", "bge-small"), Map.of(), 0, 1, "{}");
    Path file = dir.resolve("other.json");
    other.write(file.toString());
    Path in = dev.dataselect.transforms.testing.Fixtures.write(dir.resolve("c.jsonl"), "{\"id\": \"a\", \"text\": \"hello\"}\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JobRuns.run("--input=" + in,
        "--sampler=quality", "--quality=student", "--studentModel=" + file, "--output=" + dir.resolve("o")));
    assertTrue(e.getMessage().contains("trained on embeddings"), e.getMessage());
  }

  @Test
  void labelsMeansTheLabelsFileForTrainStudentOnly() {
    assertEquals(List.of("--job=train-student", "--labelsFile=a.jsonl", "--labels={\"team\": \"x\"}"),
        List.of(Dataselect.labelsAlias(new String[] {"--job=train-student", "--labels=a.jsonl", "--labels={\"team\": \"x\"}"})));
    assertEquals(List.of("--labels=a.jsonl"), List.of(Dataselect.labelsAlias(new String[] {"--labels=a.jsonl"})));
  }

  @Test
  void trainStudentNeedsExactlyOneTeacher() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Dataselect.run(JobRuns.options("--job=train-student", "--output=" + dir.resolve("x"))));
    assertTrue(e.getMessage().contains("exactly one teacher"), e.getMessage());
  }
}
