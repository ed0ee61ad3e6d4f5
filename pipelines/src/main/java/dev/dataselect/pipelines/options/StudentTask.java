package dev.dataselect.pipelines.options;

/** The student head of {@code --studentTask}. */
public enum StudentTask {
  /** Logistic for a labels file (0/1 labels), ridge for teacher scores. */
  AUTO,
  RIDGE,
  LOGISTIC
}
