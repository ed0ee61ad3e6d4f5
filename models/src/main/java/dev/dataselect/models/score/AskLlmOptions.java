package dev.dataselect.models.score;

import java.io.Serializable;
import java.util.Objects;

/** The ASK-LLM prompt and scoring settings. Immutable, serializable, with value equality. */
public final class AskLlmOptions implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Where the document goes in a template. */
  public static final String PLACEHOLDER = "{document}";

  /** The prompt of Sachdeva et al. 2024, Fig. 3 (METHOD.md). */
  public static final String DEFAULT_TEMPLATE =
      "###\n"
          + PLACEHOLDER
          + "\n###\n"
          + "Does the previous paragraph demarcated within ### and ### contain informative signal"
          + " for pre-training a large-language model? An informative datapoint should be"
          + " well-formatted, contain some usable knowledge of the world, and strictly NOT have any"
          + " harmful, racist, sexist, etc. content.\n"
          + "OPTIONS:\n"
          + "- yes\n"
          + "- no";

  private final String template;
  private final ScoreMode mode;
  private final String yesToken;
  private final String noToken;

  private AskLlmOptions(String template, ScoreMode mode, String yesToken, String noToken) {
    this.template = template;
    this.mode = mode;
    this.yesToken = yesToken;
    this.noToken = noToken;
  }

  /** The paper's prompt, softmax over the full vocabulary, yes/no entries found automatically. */
  public static AskLlmOptions defaults() {
    return new AskLlmOptions(DEFAULT_TEMPLATE, ScoreMode.FULL_VOCABULARY, null, null);
  }

  /** A prompt with exactly one {@value #PLACEHOLDER}. */
  public AskLlmOptions withTemplate(String template) {
    if (template == null) {
      throw new IllegalArgumentException("template must contain " + PLACEHOLDER + ", got: null");
    }
    int first = template.indexOf(PLACEHOLDER);
    if (first < 0 || template.indexOf(PLACEHOLDER, first + 1) >= 0) {
      throw new IllegalArgumentException(
          "template must contain " + PLACEHOLDER + " exactly once, got: " + template);
    }
    return new AskLlmOptions(template, mode, yesToken, noToken);
  }

  public AskLlmOptions withMode(ScoreMode mode) {
    Objects.requireNonNull(mode, "mode must be FULL_VOCABULARY or YES_NO, got: null");
    return new AskLlmOptions(template, mode, yesToken, noToken);
  }

  /** Names the vocabulary entries scored as yes and no (e.g. "▁yes", "▁no"). */
  public AskLlmOptions withYesNoTokens(String yes, String no) {
    if (yes == null || yes.isEmpty() || no == null || no.isEmpty() || yes.equals(no)) {
      throw new IllegalArgumentException(
          "yes and no tokens must be distinct non-empty strings, got: " + yes + ", " + no);
    }
    return new AskLlmOptions(template, mode, yes, no);
  }

  public String template() {
    return template;
  }

  /** The template before the placeholder. */
  public String prefix() {
    return template.substring(0, template.indexOf(PLACEHOLDER));
  }

  /** The template after the placeholder. */
  public String suffix() {
    return template.substring(template.indexOf(PLACEHOLDER) + PLACEHOLDER.length());
  }

  public ScoreMode mode() {
    return mode;
  }

  /** The yes entry named by {@link #withYesNoTokens}, or null. */
  public String yesToken() {
    return yesToken;
  }

  /** The no entry named by {@link #withYesNoTokens}, or null. */
  public String noToken() {
    return noToken;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof AskLlmOptions)) {
      return false;
    }
    AskLlmOptions a = (AskLlmOptions) o;
    return template.equals(a.template)
        && mode == a.mode
        && Objects.equals(yesToken, a.yesToken)
        && Objects.equals(noToken, a.noToken);
  }

  @Override
  public int hashCode() {
    return Objects.hash(template, mode, yesToken, noToken);
  }

  @Override
  public String toString() {
    return "AskLlmOptions{mode=" + mode + ", yes=" + yesToken + ", no=" + noToken
        + ", template=" + template.length() + " chars}";
  }
}
