package dev.dataselect.pipelines;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableSortedMap;
import dev.dataselect.transforms.io.DocumentJson;
import dev.dataselect.pipelines.options.StudentTask;
import dev.dataselect.pipelines.options.TrainStudentJobOptions;
import dev.dataselect.transforms.DeadLetter;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.JoinById;
import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.inference.AskLlmScore;
import dev.dataselect.transforms.inference.Embed;
import dev.dataselect.transforms.inference.PerplexityScore;
import dev.dataselect.transforms.inference.ReadEmbeddings;
import dev.dataselect.transforms.inference.ReadScores;
import dev.dataselect.transforms.inference.ScoreStore;
import dev.dataselect.transforms.io.ReadCorpus;
import dev.dataselect.transforms.student.Example;
import dev.dataselect.transforms.student.SignalFeatures;
import dev.dataselect.transforms.student.StudentModel;
import dev.dataselect.transforms.student.TrainStudent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * {@code --job=train-student}: teacher values (a labels file, or the persisted scores of an earlier
 * run over a sample) + document embeddings and/or text signals ({@code --studentFeatures}) → a student model file and {@code
 * <output>/student-report/} (metrics.json, calibration.json, calibration.png, dead letters under
 * {@code <output>/dead-letters/student-*}).
 */
final class TrainStudentJob {
  static final String REPORT = "student-report";
  private static final TupleTag<DocumentScore> TEACHER = new TupleTag<>("teacher") {};
  private static final TupleTag<Document> LABELLED = new TupleTag<>("labelled") {};
  private static final TupleTag<DeadLetter> DEAD = new TupleTag<>("dead") {};
  private static final TupleTag<Example> EXAMPLES = new TupleTag<>("examples") {};
  private static final TupleTag<String> EVENTS = new TupleTag<>("events") {};

  private TrainStudentJob() {}

  /** Where the model file goes: --studentModel, or {@code <output>/student.json}. */
  static String modelPath(TrainStudentJobOptions o) {
    return o.getStudentModel().isEmpty() ? SelectJob.resolve(o.getOutput(), "student.json") : o.getStudentModel();
  }

  static StudentModel.Task task(TrainStudentJobOptions o) {
    if (o.getStudentTask() == StudentTask.AUTO) {
      return o.getLabelsFile().isEmpty() ? StudentModel.Task.RIDGE : StudentModel.Task.LOGISTIC;
    }
    return StudentModel.Task.valueOf(o.getStudentTask().name());
  }

  static double[] lambdas(String csv, String option, double[] defaults) {
    List<String> parts = SelectJob.split(csv);
    if (parts.isEmpty()) {
      return defaults.clone();
    }
    double[] out = new double[parts.size()];
    for (int i = 0; i < out.length; i++) {
      try {
        out[i] = Double.parseDouble(parts.get(i));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + " must be comma-separated numbers > 0, got '" + csv + "'");
      }
    }
    return out;
  }

  /** Builds the job and starts it; does not wait. */
  static PipelineResult run(TrainStudentJobOptions o) {
    return build(o).run();
  }

  static Pipeline build(TrainStudentJobOptions o) {
    boolean labels = !o.getLabelsFile().isEmpty();
    boolean scores = !o.getTeacherScores().isEmpty();
    String model = o.getTeacher().trim().toLowerCase(java.util.Locale.ROOT);
    boolean scored = !model.isEmpty();
    checkArgument((labels ? 1 : 0) + (scores ? 1 : 0) + (scored ? 1 : 0) == 1,
        "--job=train-student needs exactly one teacher: --labelsFile=FILE (or --labels=FILE), --teacherScores=FOLDER or --teacher=askllm|perplexity");
    checkArgument(!scored || model.equals("askllm") || model.equals("perplexity"),
        "--teacher must be askllm or perplexity (a model run over --input), got '%s'", o.getTeacher());
    // Perplexity is better when lower: the student learns its negation.
    boolean negate = o.getTeacherLowerIsBetter() || model.equals("perplexity");
    StudentModel.Task task = task(o);
    StudentModel.Features features = o.getStudentFeatures();
    TrainStudent train = TrainStudent.of(task)
        .withFeatures(features)
        .withFolds(o.getStudentFolds())
        .withLambdas(lambdas(o.getStudentLambdas(), "--studentLambdas", TrainStudent.DEFAULT_LAMBDAS))
        .withSignalLambdas(lambdas(o.getStudentSignalLambdas(), "--studentSignalLambdas", TrainStudent.DEFAULT_SIGNAL_LAMBDAS))
        .withPasses(o.getStudentPasses())
        .withSeed(o.getSeed());
    Embed embed = features.usesEmbedding() ? Embed.with(Models.embedding(o)).withMaxBatchSize(o.getBatchSize()) : null;
    String cache = o.getEmbeddingsCache();
    boolean fromCache = embed != null && !cache.isEmpty() && ScoreStages.cacheHolds(cache, embed);
    // The documents' texts are needed to embed them (no cache) and for their signals.
    boolean needTexts = (embed != null && !fromCache) || features.usesSignals();
    checkArgument(labels || scored || !needTexts || !o.getInput().equals("demo"), features.usesSignals()
        ? "--teacherScores with --studentFeatures=%s needs the documents' texts: --input (the corpus the scores came from)"
        : "--teacherScores needs the documents' embeddings: --embeddingsCache (same model) or --input (the corpus the scores came from)",
        features.label());
    SortedMap<String, String> teacher = new TreeMap<>();
    teacher.put("kind", labels ? "labels" : scored ? "model" : "scores");
    teacher.put("source", labels ? o.getLabelsFile() : scored ? model + " over " + o.getInput() : o.getTeacherScores());
    teacher.put("lowerIsBetter", Boolean.toString(negate));
    teacher.put("negated", Boolean.toString(negate));
    PTransform<PCollection<Document>, PCollectionTuple> teacherModel = null;
    if (labels) {
      teacher.put("labelField", o.getLabelField());
    } else if (scored) {
      ScoreStore store = ScoreStore.fromOptions(o.getScoreStore(), o.getScoreStoreFlushEntries(), SelectJob.joinShards(o));
      if (model.equals("askllm")) {
        AskLlmScore score = SelectPlan.askLlm(o);
        score.metadata().forEach((k, v) -> teacher.put("model." + k, v));
        teacherModel = store == null ? score : store.askLlm(score);
      } else {
        PerplexityScore score = SelectPlan.perplexity(o);
        score.metadata().forEach((k, v) -> teacher.put("model." + k, v));
        teacherModel = store == null ? score : store.perplexity(score);
      }
    } else {
      ReadScores.metadata(o.getTeacherScores()).forEach((k, v) -> teacher.put("scores." + k, v));
    }
    train = train.withEmbeddingMetadata(embed == null ? Map.of() : embed.metadata()).withTeacher(teacher);

    Pipeline p = Pipeline.create(o);
    List<PCollection<DeadLetter>> dead = new ArrayList<>();
    List<PCollection<String>> events = new ArrayList<>();
    PCollection<DocumentScore> teacherValues;
    PCollection<Document> texts = null;
    if (labels) {
      List<String> metadata = new ArrayList<>(SelectJob.split(o.getMetadataFields()));
      metadata.add(o.getLabelField());
      PCollectionTuple read = p.apply("ReadLabels", SelectJob.readCorpus(o, SelectJob.inputPatterns(o.getLabelsFile())).withMetadataFields(metadata));
      dead.add(read.get(ReadCorpus.DEAD_LETTERS));
      events.add(read.get(ReadCorpus.RECORDS).apply("SumRecords", Sum.longsGlobally())
          .apply("RecordEvents", ParDo.of(new Repeat("records"))));
      PCollectionTuple parsed = read.get(ReadCorpus.DOCUMENTS)
          .apply("ParseLabels", ParDo.of(new ParseLabel(o.getLabelField(), task, o.getTeacherLowerIsBetter()))
              .withOutputTags(TEACHER, TupleTagList.of(LABELLED).and(DEAD)));
      teacherValues = parsed.get(TEACHER);
      dead.add(parsed.get(DEAD));
      texts = parsed.get(LABELLED);
    } else if (scored) {
      // The teacher model over the corpus (through the store when given); its scores are checked
      // (and negated for perplexity) as a scores folder's are.
      PCollectionTuple corpus = p.apply("ReadCorpus", SelectJob.readCorpus(o, SelectJob.inputPatterns(o.getInput())));
      dead.add(corpus.get(ReadCorpus.DEAD_LETTERS));
      texts = corpus.get(ReadCorpus.DOCUMENTS);
      PCollectionTuple t = texts.apply("Teacher", teacherModel);
      boolean askLlm = model.equals("askllm");
      dead.add(t.get(askLlm ? AskLlmScore.DEAD_LETTERS : PerplexityScore.DEAD_LETTERS));
      if (!o.getScoreStore().isEmpty()) {
        String label = askLlm ? "Askllm" : "Perplexity";
        events.add(t.get(ScoreStore.SERVED).apply("TeacherServed", MapElements.into(TypeDescriptors.strings()).via(id -> "store" + label + "Served")));
        events.add(t.get(ScoreStore.SCORED).apply("TeacherScored", MapElements.into(TypeDescriptors.strings()).via(id -> "store" + label + "Scored")));
      }
      PCollectionTuple parsed = t.get(askLlm ? AskLlmScore.SCORES : PerplexityScore.SCORES)
          .apply("CheckScores", ParDo.of(new CheckScore(task, negate, model))
              .withOutputTags(TEACHER, TupleTagList.of(DEAD)));
      teacherValues = parsed.get(TEACHER);
      dead.add(parsed.get(DEAD));
    } else {
      PCollectionTuple parsed = p.apply("ReadTeacherScores", ReadScores.from(o.getTeacherScores()))
          .apply("CheckScores", ParDo.of(new CheckScore(task, o.getTeacherLowerIsBetter(), o.getTeacherScores()))
              .withOutputTags(TEACHER, TupleTagList.of(DEAD)));
      teacherValues = parsed.get(TEACHER);
      dead.add(parsed.get(DEAD));
      if (needTexts) {
        List<String> inputs = SelectJob.inputPatterns(o.getInput());
        PCollectionTuple corpus = p.apply("ReadCorpus", SelectJob.readCorpus(o, inputs));
        dead.add(corpus.get(ReadCorpus.DEAD_LETTERS));
        texts = Joins.keep(corpus.get(ReadCorpus.DOCUMENTS), teacherValues, "WithTeacherScore", SelectJob.joinShards(o));
      }
    }
    // The left side of the teacher join: embeddings, or for a signals-only student the signal
    // features in the same shape (and then moved to the example's signal block).
    PCollection<Embedding> vectors;
    if (embed == null) {
      vectors = texts.apply("SignalFeatures", MapElements.into(TypeDescriptor.of(Embedding.class))
          .via(d -> Embedding.of(d.id(), SignalFeatures.of(d.text()))));
    } else if (fromCache) {
      vectors = p.apply("ReadEmbeddingsCache", ReadEmbeddings.from(cache));
    } else {
      // Through the score store when one is given: embeddings a select run stored are not computed again.
      ScoreStore store = ScoreStore.fromOptions(o.getScoreStore(), o.getScoreStoreFlushEntries(), SelectJob.joinShards(o));
      PCollectionTuple e = texts.apply("Embed", store == null ? embed : store.embed(embed));
      if (store != null) {
        events.add(e.get(ScoreStore.SERVED).apply("StoreServed", MapElements.into(TypeDescriptors.strings()).via(id -> "storeEmbedServed")));
        events.add(e.get(ScoreStore.SCORED).apply("StoreScored", MapElements.into(TypeDescriptors.strings()).via(id -> "storeEmbedScored")));
      }
      dead.add(e.get(Embed.DEAD_LETTERS));
      vectors = e.get(Embed.EMBEDDINGS);
    }
    PCollectionTuple joined = Joins.examples(vectors, teacherValues, EXAMPLES, EVENTS, DEAD, SelectJob.joinShards(o));
    dead.add(joined.get(DEAD));
    events.add(joined.get(EVENTS));
    PCollection<Example> examples = joined.get(EXAMPLES);
    if (embed == null) {
      examples = examples.apply("AsSignalBlock", MapElements.into(TypeDescriptor.of(Example.class))
          .via(e -> Example.of(e.id(), new float[0], e.vector(), e.target())));
    } else if (features.usesSignals()) {
      examples = Joins.withSignals(examples, texts, SelectJob.joinShards(o));
    }
    PCollection<TrainStudent.Result> result = examples.apply("TrainStudent", train);

    PCollection<DeadLetter> allDead = PCollectionList.of(dead).apply("AllDeadLetters", Flatten.pCollections());
    allDead.apply("DeadLetterJson", MapElements.into(TypeDescriptors.strings()).via(DocumentJson::of))
        .apply("WriteDeadLetters", TextIO.write().to(SelectJob.resolve(o.getOutput(), "dead-letters") + "student")
            .withSuffix(".jsonl").withCompression(Compression.GZIP));
    events.add(allDead.apply("DeadLetterReason", MapElements.into(TypeDescriptors.strings()).via(d -> "deadLetters." + d.reason().label())));
    PCollectionView<Map<String, Long>> counts = PCollectionList.of(events)
        .apply("AllEvents", Flatten.pCollections())
        .apply("CountEvents", Count.perElement())
        .apply("CountsView", View.asMap());
    result.apply("WriteStudent", ParDo.of(new StudentReport.Write(modelPath(o), SelectJob.resolve(o.getOutput(), REPORT), counts))
        .withSideInputs(counts));
    return p;
  }

  /** Emits a name n times (turns a sum into events for the shared count). */
  private static final class Repeat extends DoFn<Long, String> {
    private final String name;

    Repeat(String name) {
      this.name = name;
    }

    @ProcessElement
    public void process(@Element Long n, OutputReceiver<String> out) {
      for (long i = 0; i < n; i++) {
        out.output(name);
      }
    }
  }

  /** A labels-file document → (id, label) and the document to embed, or a dead letter saying why not. */
  static final class ParseLabel extends DoFn<Document, DocumentScore> {
    private final String field;
    private final StudentModel.Task task;
    private final boolean negate;

    ParseLabel(String field, StudentModel.Task task, boolean negate) {
      this.field = field;
      this.task = task;
      this.negate = negate;
    }

    @ProcessElement
    public void process(@Element Document d, MultiOutputReceiver out) {
      String raw = d.metadata().get(field);
      if (raw == null || raw.isBlank() || raw.equals("null")) {
        out.get(DEAD).output(DeadLetter.of(DeadLetter.Reason.MISSING_LABEL, d.source(),
            "record " + d.id() + " has no '" + field + "' label", DocumentJson.of(d)));
        return;
      }
      Double y = parse(raw);
      String problem = y == null ? "label '" + raw + "' in field '" + field + "' is not a number"
          : problem(y, task);
      if (problem != null) {
        out.get(DEAD).output(DeadLetter.of(DeadLetter.Reason.BAD_LABEL, d.source(), "record " + d.id() + ": " + problem, DocumentJson.of(d)));
        return;
      }
      out.get(TEACHER).output(DocumentScore.of(d.id(), negate ? -y : y));
      out.get(LABELLED).output(d);
    }

    static Double parse(String raw) {
      String s = raw.trim();
      if (s.equalsIgnoreCase("true")) {
        return 1.0;
      }
      if (s.equalsIgnoreCase("false")) {
        return 0.0;
      }
      try {
        return Double.parseDouble(s);
      } catch (NumberFormatException e) {
        return null;
      }
    }
  }

  static String problem(double y, StudentModel.Task task) {
    if (!Double.isFinite(y)) {
      return "label " + y + " is not finite";
    }
    if (task == StudentModel.Task.LOGISTIC && !(y >= 0 && y <= 1)) {
      return "label " + y + " is outside [0, 1], which a logistic student needs (use --studentTask=ridge for scores)";
    }
    return null;
  }

  /** A teacher score → (id, target), or a dead letter when it cannot be a target. */
  private static final class CheckScore extends DoFn<DocumentScore, DocumentScore> {
    private final StudentModel.Task task;
    private final boolean negate;
    private final String source;

    CheckScore(StudentModel.Task task, boolean negate, String source) {
      this.task = task;
      this.negate = negate;
      this.source = source;
    }

    @ProcessElement
    public void process(@Element DocumentScore s, MultiOutputReceiver out) {
      String problem = problem(s.score(), task);
      if (problem != null) {
        out.get(DEAD).output(DeadLetter.of(DeadLetter.Reason.BAD_LABEL, source, "score of " + s.id() + ": " + problem,
            "{\"id\": \"" + s.id() + "\", \"score\": \"" + s.score() + "\"}"));
        return;
      }
      out.get(TEACHER).output(DocumentScore.of(s.id(), negate ? -s.score() : s.score()));
    }
  }

  /** The joins by document id ({@link JoinById}: hash-sharded groups, few on the DirectRunner). */
  static final class Joins {
    private Joins() {}

    /** The documents whose id has a teacher value; a repeated id is embedded once (the teacher side reports the repetition). */
    static PCollection<Document> keep(PCollection<Document> docs, PCollection<DocumentScore> teacher, String name, int shards) {
      return docs.apply(name + "Join", JoinById.ofScores(Document::id, teacher).withShards(shards).withOneLeftPerId())
          .apply(name, ParDo.of(new DoFn<JoinById.Joined<Document, Double>, Document>() {
            @ProcessElement
            public void process(@Element JoinById.Joined<Document, Double> j, OutputReceiver<Document> out) {
              if (j.left() != null && !j.rights().isEmpty()) {
                out.output(j.left());
              }
            }
          }))
          .setCoder(Document.DocumentCoder.of());
    }

    /** Each example with its document's {@link SignalFeatures} (computed from the text), joined by id. */
    static PCollection<Example> withSignals(PCollection<Example> examples, PCollection<Document> texts, int shards) {
      PCollection<KV<String, Embedding>> signals = texts
          .apply("SignalFeatures", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptor.of(Embedding.class)))
              .via(d -> KV.of(d.id(), Embedding.of(d.id(), SignalFeatures.of(d.text())))))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), Embedding.EmbeddingCoder.of()));
      return examples.apply("JoinSignals", JoinById.of(Example::id, signals).withShards(shards).withOneLeftPerId())
          .apply("WithSignals", ParDo.of(new DoFn<JoinById.Joined<Example, Embedding>, Example>() {
            @ProcessElement
            public void process(@Element JoinById.Joined<Example, Embedding> j, OutputReceiver<Example> out) {
              Example e = j.left();
              if (e == null) {
                return; // a labelled text without an example: counted by the teacher join's events
              }
              checkArgument(!j.rights().isEmpty(), "example %s has no text to compute its signals from", e.id());
              out.output(Example.of(e.id(), e.vector(), j.rights().get(0).vector(), e.target()));
            }
          }));
    }

    /** (embedding, teacher value) per id → examples; events count the ids on one side only. */
    static PCollectionTuple examples(PCollection<Embedding> embeddings, PCollection<DocumentScore> teacher,
        TupleTag<Example> examples, TupleTag<String> events, TupleTag<DeadLetter> dead, int shards) {
      return embeddings.apply("JoinTeacher", JoinById.ofScores(Embedding::id, teacher).withShards(shards).withOneLeftPerId())
          .apply("Examples", ParDo.of(new DoFn<JoinById.Joined<Embedding, Double>, Example>() {
            @ProcessElement
            public void process(@Element JoinById.Joined<Embedding, Double> j, MultiOutputReceiver out) {
              List<Double> ys = j.rights();
              Embedding emb = j.left();
              if (ys.isEmpty()) {
                out.get(events).output("embeddingsWithoutTeacher");
              } else if (ys.size() > 1) {
                out.get(dead).output(DeadLetter.of(DeadLetter.Reason.BAD_LABEL, "teacher", "id " + j.id()
                    + " has " + ys.size() + " teacher values; ids must be unique", "{\"id\": \"" + j.id() + "\"}"));
              } else if (emb == null) {
                out.get(events).output("teacherWithoutEmbedding");
              } else {
                out.get(examples).output(Example.of(j.id(), emb.vector(), ys.get(0)));
                out.get(events).output("examples");
              }
            }
          }).withOutputTags(examples, TupleTagList.of(events).and(dead)));
    }
  }

  static SortedMap<String, String> sorted(Map<String, String> m) {
    return ImmutableSortedMap.copyOf(m);
  }
}
