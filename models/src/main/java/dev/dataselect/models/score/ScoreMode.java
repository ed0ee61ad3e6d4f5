package dev.dataselect.models.score;

/** Over which tokens the ASK-LLM softmax runs (the paper does not say). */
public enum ScoreMode {
  /** P("yes") under the softmax over the whole vocabulary (the default). */
  FULL_VOCABULARY,
  /** P("yes") under the softmax over {"yes", "no"} only. */
  YES_NO
}
