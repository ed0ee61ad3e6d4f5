package dev.dataselect.transforms.student;

import dev.dataselect.transforms.signals.Signal;
import dev.dataselect.transforms.signals.TextSignals;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The signal block of a student's features: every {@link Signal} of a document's text, in {@link
 * Signal} order, with the heavy-tailed ones (counts and the mean word length) as {@code log(1 +
 * value)} so one long page does not dominate the fit. {@link TrainStudent} standardises each
 * feature (mean 0, standard deviation 1 over the training examples) inside the fit.
 */
public final class SignalFeatures {
  private static final Set<Signal> LOGGED = EnumSet.of(Signal.CHARS, Signal.WORDS, Signal.LINES, Signal.MEAN_WORD_LENGTH,
      Signal.GOPHER_STOP_WORDS, Signal.URLS, Signal.EMAILS, Signal.JAVASCRIPT_LINES, Signal.C4_SENTENCES);
  private static final List<String> NAMES = names();

  private SignalFeatures() {}

  /** The feature names, in order: the signal's column, prefixed {@code log1p_} where it is logged. */
  public static List<String> names() {
    if (NAMES != null) {
      return NAMES;
    }
    List<String> out = new ArrayList<>();
    for (Signal s : Signal.values()) {
      out.add(LOGGED.contains(s) ? "log1p_" + s.column() : s.column());
    }
    return List.copyOf(out);
  }

  public static int size() {
    return Signal.values().length;
  }

  /** The features of a text. */
  public static float[] of(String text) {
    return of(TextSignals.of(text));
  }

  /** The features of computed signals. */
  public static float[] of(TextSignals signals) {
    Signal[] all = Signal.values();
    float[] x = new float[all.length];
    for (int i = 0; i < all.length; i++) {
      double v = signals.get(all[i]);
      x[i] = (float) (LOGGED.contains(all[i]) ? Math.log1p(Math.max(0, v)) : v);
    }
    return x;
  }
}
