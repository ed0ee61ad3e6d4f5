package dev.dataselect.pipelines.options;

import dev.dataselect.transforms.student.StudentModel;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/** The student scorer: training it (--job=train-student) and scoring with it (--quality=student). */
public interface StudentOptions extends StudentModelOption {
  @Description(
      "train-student teacher: a labels file (JSONL/CSV/Parquet, read like --input with --format, --textField, "
          + "--idField) holding a text and a numeric or 0/1 label per record; the texts are embedded. bin/dataselect "
          + "also takes it as --labels=FILE (Dataflow's --labels, a JSON map, keeps its meaning).")
  @Default.String("")
  String getLabelsFile();

  void setLabelsFile(String value);

  @Description("train-student: the field of --labelsFile holding the label (a number, or 0/1 for a logistic student).")
  @Default.String("label")
  String getLabelField();

  void setLabelField(String value);

  @Description(
      "train-student teacher: a scores/<stage>/ folder an earlier run wrote (e.g. scores/askllm/ over a sample). "
          + "Embeddings come from --embeddingsCache when it holds the same model, else the --input documents with a "
          + "teacher score are embedded.")
  @Default.String("")
  String getTeacherScores();

  void setTeacherScores(String value);

  @Description(
      "train-student teacher: a model run over the --input documents, askllm or perplexity (its options as for the "
          + "main job: --askLlmModel, --askLlmTemplate, --perplexityModel, ...). With --scoreStore, what an earlier run "
          + "scored with the same model and prompt is served from the store, not scored again.")
  @Default.String("")
  String getTeacher();

  void setTeacher(String value);

  @Description(
      "train-student: the teacher is better when lower (perplexity): the student learns its negation, so student "
          + "scores are always higher-is-better.")
  @Default.Boolean(false)
  Boolean getTeacherLowerIsBetter();

  void setTeacherLowerIsBetter(Boolean value);

  @Description(
      "train-student head: auto (logistic for --labelsFile, ridge for --teacherScores), ridge (any numeric target) or "
          + "logistic (targets in [0, 1]).")
  @Default.Enum("AUTO")
  StudentTask getStudentTask();

  void setStudentTask(StudentTask value);

  @Description("train-student: cross-validation folds k (fold = hash(id, seed)); ridge uses all k, logistic validates on one.")
  @Default.Integer(5)
  Integer getStudentFolds();

  void setStudentFolds(Integer value);

  @Description("train-student: comma-separated regularisation strengths to choose from by cross-validation; empty: 1e-6 .. 1 by decades.")
  @Default.String("")
  String getStudentLambdas();

  void setStudentLambdas(String value);

  @Description(
      "train-student: what the student reads: embedding (MiniLM vector), signals (the 35 text-quality signals, "
          + "standardised; no embedding model runs) or both (each block with its own penalty chosen by "
          + "cross-validation; the fit also reports each block alone).")
  @Default.Enum("BOTH")
  StudentModel.Features getStudentFeatures();

  void setStudentFeatures(StudentModel.Features value);

  @Description("train-student: comma-separated penalties of the standardised signal block to choose from; empty: 1e-3, 1e-2, 1e-1, 1.")
  @Default.String("")
  String getStudentSignalLambdas();

  void setStudentSignalLambdas(String value);

  @Description("train-student: Newton (IRLS) passes of a logistic student, each one combine over the sample.")
  @Default.Integer(8)
  Integer getStudentPasses();

  void setStudentPasses(Integer value);
}
