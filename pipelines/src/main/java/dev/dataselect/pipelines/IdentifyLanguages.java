package dev.dataselect.pipelines;

import static com.google.common.base.Preconditions.checkArgument;

import dev.dataselect.pipelines.options.CorpusOptions;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.lang.DetectLanguage;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The job's language stage, right after reading and before the duplicate-id check: {@link
 * DetectLanguage} annotates every document and, with {@code --languages}, keeps only those
 * languages. It works one document at a time, so it runs in the reading's own tasks, and only the
 * kept languages are grouped by id (on the demo, 1,270 of 17,597 documents). Its counts for
 * summary.json: {@code otherLanguage} (documents of other languages: a decision, so part of the
 * reconcile sum, not dead letters; their ids are not checked for duplicates) and {@code
 * languages.<code>}, the documents read per language before the filter.
 */
final class IdentifyLanguages {
  private IdentifyLanguages() {}

  /** Fails fast on a code the language detector does not know, naming the option. */
  static void validate(CorpusOptions options) {
    for (String code : SelectJob.split(options.getLanguages())) {
      checkArgument(DetectLanguage.KNOWN_CODES.contains(code.toLowerCase(Locale.ROOT)),
          "--languages: '%s' is not an ISO 639-1 code the language detector knows; valid: %s", code, DetectLanguage.KNOWN_CODES);
    }
  }

  static boolean enabled(CorpusOptions options) {
    return options.getLanguageId() || !SelectJob.split(options.getLanguages()).isEmpty();
  }

  /** The documents in an allowed language, and those in another (null when the stage is off). */
  record Split(PCollection<Document> kept, @Nullable PCollection<Document> other) {}

  /**
   * The documents in an allowed language (all of them, annotated, without --languages) and the
   * others; {@code docs} and no others when the stage is off.
   */
  static Split apply(PCollection<Document> docs, CorpusOptions options, JobCounts counts) {
    if (!enabled(options)) {
      return new Split(docs, null);
    }
    PCollectionTuple split =
        docs.apply("DetectLanguage", DetectLanguage.create().withAllowedLanguages(SelectJob.split(options.getLanguages())));
    PCollection<Document> other = split.get(DetectLanguage.OTHER_LANGUAGE);
    counts.count(other, "otherLanguage");
    PCollection<Document> all = PCollectionList.of(split.get(DetectLanguage.KEPT)).and(other)
        .apply("AllLanguages", Flatten.pCollections());
    counts.countBy(all, "CountPerLanguage", d -> "languages." + d.metadata().get(DetectLanguage.LANGUAGE_FIELD));
    counts.track(split.get(DetectLanguage.KEPT), "language");
    return new Split(split.get(DetectLanguage.KEPT), other);
  }
}
