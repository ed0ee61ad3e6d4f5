package dev.dataselect.transforms.inference;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import java.io.Serializable;
import org.apache.beam.sdk.transforms.errorhandling.BadRecord;
import org.apache.beam.sdk.transforms.errorhandling.ErrorHandler;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.joda.time.Duration;

/**
 * How an inference stage groups documents for the model; immutable, shared by {@link Embed}, {@link
 * AskLlmScore} and {@link PerplexityScore} (their {@code withX} methods validate and delegate here).
 *
 * <p>Documents are buffered per window within a bundle. A buffer is flushed when it holds {@link
 * #maxBufferedDocuments()} documents, when its oldest document has waited {@link
 * #maxBufferingDuration()}, and at the end of the bundle. A flush sorts the buffered documents by
 * token count and cuts the sorted run into model calls of at most {@link #maxBatchSize()} documents
 * and {@link #maxBatchTokens()} padded tokens (rows x longest row), so each call pads little.
 */
final class Batching implements Serializable {
  private static final long serialVersionUID = 1L;

  static final int MAX_BATCH_SIZE_LIMIT = 65_536;
  static final int MAX_BATCH_TOKENS_LIMIT = 1 << 30;
  static final int MAX_BUFFERED_LIMIT = 1 << 20;
  /** Without an explicit buffer size, this many batches' worth are buffered and length-sorted. */
  static final int DEFAULT_BATCHES_PER_BUFFER = 16;

  private final int maxBatchSize;
  private final int maxBatchTokens;
  private final int maxBufferedDocuments; // 0 = DEFAULT_BATCHES_PER_BUFFER x maxBatchSize
  private final Duration maxBufferingDuration;
  /** Where the stage's dead letters also go; a graph object, so never serialised into the DoFn. */
  @javax.annotation.Nullable private final transient ErrorHandler<BadRecord, ?> errorHandler;

  private Batching(
      int maxBatchSize, int maxBatchTokens, int maxBufferedDocuments, Duration maxBufferingDuration) {
    this(maxBatchSize, maxBatchTokens, maxBufferedDocuments, maxBufferingDuration, null);
  }

  private Batching(int maxBatchSize, int maxBatchTokens, int maxBufferedDocuments, Duration maxBufferingDuration,
      @javax.annotation.Nullable ErrorHandler<BadRecord, ?> errorHandler) {
    this.maxBatchSize = maxBatchSize;
    this.maxBatchTokens = maxBatchTokens;
    this.maxBufferedDocuments = maxBufferedDocuments;
    this.maxBufferingDuration = maxBufferingDuration;
    this.errorHandler = errorHandler;
  }

  /** Also routes the stage's dead letters, as Beam {@code BadRecord}s, to {@code handler}. */
  Batching withErrorHandler(ErrorHandler<BadRecord, ?> handler) {
    return new Batching(maxBatchSize, maxBatchTokens, maxBufferedDocuments, maxBufferingDuration,
        java.util.Objects.requireNonNull(handler, "handler"));
  }

  @javax.annotation.Nullable
  ErrorHandler<BadRecord, ?> errorHandler() {
    return errorHandler;
  }

  static Batching of(int maxBatchSize, int maxBatchTokens) {
    return new Batching(maxBatchSize, maxBatchTokens, 0, Duration.standardSeconds(10));
  }

  Batching withMaxBatchSize(int documents) {
    checkArgument(
        documents >= 1 && documents <= MAX_BATCH_SIZE_LIMIT,
        "maxBatchSize must be in [1, %s] documents, got: %s",
        MAX_BATCH_SIZE_LIMIT,
        documents);
    return new Batching(documents, maxBatchTokens, maxBufferedDocuments, maxBufferingDuration, errorHandler);
  }

  Batching withMaxBatchTokens(int tokens) {
    checkArgument(
        tokens >= 1 && tokens <= MAX_BATCH_TOKENS_LIMIT,
        "maxBatchTokens must be in [1, %s] padded tokens, got: %s",
        MAX_BATCH_TOKENS_LIMIT,
        tokens);
    return new Batching(maxBatchSize, tokens, maxBufferedDocuments, maxBufferingDuration, errorHandler);
  }

  Batching withMaxBufferedDocuments(int documents) {
    checkArgument(
        documents >= 1 && documents <= MAX_BUFFERED_LIMIT,
        "maxBufferedDocuments must be in [1, %s], got: %s",
        MAX_BUFFERED_LIMIT,
        documents);
    return new Batching(maxBatchSize, maxBatchTokens, documents, maxBufferingDuration, errorHandler);
  }

  Batching withMaxBufferingDuration(Duration duration) {
    checkArgument(
        duration != null && duration.isLongerThan(Duration.ZERO),
        "maxBufferingDuration must be positive, got: %s",
        duration);
    return new Batching(maxBatchSize, maxBatchTokens, maxBufferedDocuments, duration, errorHandler);
  }

  /** Cross-setting checks, for {@code expand()}. */
  void validate() {
    checkArgument(
        maxBufferedDocuments == 0 || maxBufferedDocuments >= maxBatchSize,
        "maxBufferedDocuments (%s) must be >= maxBatchSize (%s), or a batch could never fill",
        maxBufferedDocuments,
        maxBatchSize);
  }

  int maxBatchSize() {
    return maxBatchSize;
  }

  int maxBatchTokens() {
    return maxBatchTokens;
  }

  int maxBufferedDocuments() {
    if (maxBufferedDocuments > 0) {
      return maxBufferedDocuments;
    }
    return (int) Math.min(MAX_BUFFERED_LIMIT, (long) DEFAULT_BATCHES_PER_BUFFER * maxBatchSize);
  }

  Duration maxBufferingDuration() {
    return maxBufferingDuration;
  }

  void populateDisplayData(DisplayData.Builder builder) {
    builder
        .add(DisplayData.item("maxBatchSize", maxBatchSize).withLabel("Max documents per batch"))
        .add(
            DisplayData.item("maxBatchTokens", maxBatchTokens)
                .withLabel("Max padded tokens per batch"))
        .add(
            DisplayData.item("maxBufferedDocuments", maxBufferedDocuments())
                .withLabel("Documents buffered and length-sorted per flush"))
        .add(
            DisplayData.item("maxBufferingDuration", requireNonNull(maxBufferingDuration))
                .withLabel("Max buffering time"));
  }
}
