package dev.dataselect.transforms.inference;

import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelException;
import dev.dataselect.models.ModelReader;
import dev.dataselect.models.SharedModels;
import dev.dataselect.models.text.LengthBucketing;
import dev.dataselect.transforms.DeadLetter;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.StageTallies;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Instant;

/**
 * The batched inference step behind {@link Embed}, {@link AskLlmScore} and {@link
 * PerplexityScore}: one DoFn that runs an {@link InferenceTask} over the JVM's shared model.
 *
 * <ul>
 *   <li><b>One model per JVM.</b> {@code @Setup} acquires the model from {@link SharedModels},
 *       keyed by the immutable {@link ModelConfig}, so every DoFn instance and thread in the JVM
 *       uses one ONNX Runtime session (sessions are thread-safe); {@code @Teardown} releases it and
 *       the last release closes it. A model that cannot be read or has the wrong inputs fails
 *       {@code @Setup}, i.e. the pipeline, at start, with a message naming the file or inputs.
 *   <li><b>Batching within bundles</b> ({@link Batching}): documents are tokenized as they arrive
 *       and buffered per window; a full or old buffer is flushed in {@code @ProcessElement}, the
 *       rest in {@code @FinishBundle}. A flush sorts by token count and cuts the run into batches
 *       bounded in documents and padded tokens. A buffered document keeps its tokens, id, source
 *       and at most {@link DeadLetter#MAX_PAYLOAD_CHARS} characters of text (for a dead letter),
 *       so buffer memory is bounded by the buffer size, not by document size. Batching within
 *       bundles needs no shuffle and no state; its price is that batches never span bundles, which
 *       on a batch runner (bundles of thousands) costs little and on a streaming runner means
 *       small bundles give small batches. ({@code GroupIntoBatches} would batch across bundles at
 *       the cost of a keyed shuffle of every document and per-key state.)
 *   <li><b>Model calls on the JVM's inference threads</b> ({@link InferenceThreads}): a flush
 *       hands its batches to a pool of one thread per core (CPU models run one intra-op thread
 *       per call) without waiting; its results are emitted, in batch order, when the next flush
 *       of its window has been handed over (or at the end of the bundle). So the threads run one
 *       flush while the DoFn's thread tokenizes the next, and never idle while it waits. Every
 *       core runs model work even when the runner gives the stage one bundle on one thread, and
 *       several DoFn threads never oversubscribe the cores with ONNX Runtime's own thread pools.
 *   <li><b>Timestamps and windows.</b> A result keeps its document's window and timestamp: a
 *       flush is emitted while processing a later element only when none of its documents is
 *       older than that element (Beam does not let {@code @ProcessElement} output before the
 *       current element), else at the end of the bundle.
 *   <li><b>Failure isolation.</b> When the model fails on a batch, each of its documents is run
 *       alone; only those that still fail become {@link DeadLetter.Reason#INFERENCE_FAILED} dead
 *       letters (with the error), so one bad document never costs its batch. Tokenizer failures and
 *       unusable results (e.g. a NaN score) are dead letters too. {@link Error}s propagate.
 *   <li><b>Metrics</b> (namespace: the stage's class): {@code documents}, {@code results}, {@code
 *       deadLetters}, {@code tokens} (fed to the model, unpadded), {@code paddedTokens}, {@code
 *       batches}, {@code failedBatches}, {@code tokenizeMicros} (time spent tokenizing), distributions {@code batchSize}, {@code
 *       batchLatencyMicros}, and {@code modelLoadMillis} (one update per JVM and model).
 * </ul>
 */
final class BatchInference {
  private BatchInference() {}

  /** Applies the inference step as {@code name}; both outputs get their coders. */
  static <P, R> PCollectionTuple apply(
      PCollection<Document> input,
      String name,
      Class<?> stage,
      InferenceTask<P, R> task,
      Batching batching,
      TupleTag<R> results,
      Coder<R> resultCoder,
      TupleTag<DeadLetter> deadLetters) {
    batching.validate();
    PCollectionTuple out =
        input.apply(
            name,
            ParDo.of(
                    new InferenceFn<>(
                        stage.getSimpleName(),
                        stage.getName(),
                        task,
                        batching,
                        BeamModelReader.of(),
                        results,
                        deadLetters))
                .withOutputTags(results, TupleTagList.of(deadLetters)));
    out.get(results).setCoder(resultCoder);
    out.get(deadLetters).setCoder(DeadLetter.DeadLetterCoder.of());
    DeadLetter.routeTo(batching.errorHandler(), out.get(deadLetters));
    return out;
  }

  /** Display data every stage shows for its model. */
  static void populateModelDisplayData(ModelConfig model, DisplayData.Builder builder) {
    builder
        .add(DisplayData.item("model", model.name()).withLabel("Model"))
        .add(DisplayData.item("modelKind", model.kind().name()).withLabel("Model layout"))
        .add(DisplayData.item("modelUri", model.model().toString()).withLabel("Model URI"))
        .addIfNotNull(
            DisplayData.item(
                    "decoderUri", model.decoder() == null ? null : model.decoder().toString())
                .withLabel("Decoder URI"))
        .add(DisplayData.item("tokenizerUri", model.tokenizer().toString()).withLabel("Tokenizer"))
        .add(DisplayData.item("maxTokens", model.maxTokens()).withLabel("Max tokens per input"))
        .add(DisplayData.item("provider", providerLabel(model)).withLabel("Execution provider"))
        .add(
            DisplayData.item("intraOpThreads", model.intraOpThreads())
                .withLabel("ONNX Runtime intra-op threads (0 = auto)"))
        .add(
            DisplayData.item("optimizationLevel", model.optimizationLevel().name())
                .withLabel("ONNX Runtime graph optimisation"))
        .add(DisplayData.item("paddingSide", model.paddingSide().name()).withLabel("Padding side"));
  }

  /** What every stage records about its model with persisted results. */
  static Map<String, String> modelMetadata(ModelConfig model) {
    Map<String, String> m = new TreeMap<>();
    m.put("model", model.name());
    m.put("modelKind", model.kind().name());
    m.put("modelUri", model.model().toString());
    if (model.decoder() != null) {
      m.put("decoderUri", model.decoder().toString());
    }
    m.put("tokenizerUri", model.tokenizer().toString());
    m.put("maxTokens", Integer.toString(model.maxTokens()));
    return m;
  }

  private static String providerLabel(ModelConfig model) {
    switch (model.provider()) {
      case CUDA:
        return "CUDA:" + model.cudaDeviceId() + (model.cpuFallback() ? " (CPU fallback allowed)" : "");
      default:
        return model.provider().name();
    }
  }

  /**
   * A tokenized document waiting for its batch. It keeps only what a dead letter needs besides
   * the tokens (id, source, the payload's first {@link DeadLetter#MAX_PAYLOAD_CHARS} characters),
   * so a buffer's memory does not grow with document size.
   */
  private static final class Pending<P> {
    final String id;
    final String source;
    final String payload;
    final P input;
    final int tokens;
    final Instant timestamp;

    Pending(Document document, P input, int tokens, Instant timestamp) {
      this.id = document.id();
      this.source = document.source();
      String text = document.text();
      this.payload =
          text.length() > DeadLetter.MAX_PAYLOAD_CHARS
              ? text.substring(0, DeadLetter.MAX_PAYLOAD_CHARS)
              : text;
      this.input = input;
      this.tokens = tokens;
      this.timestamp = timestamp;
    }
  }

  /** One window's buffered documents. */
  private static final class Buffer<P> {
    final List<Pending<P>> items = new ArrayList<>();
    final long startNanos = System.nanoTime();
  }

  /** What running one batch gave: per document a result or an exception, and each model call made. */
  private static final class Outcome<R> {
    final List<Object> perDocument = new ArrayList<>();
    /** {documents, latency micros, real tokens, padded tokens} per successful call. */
    final List<long[]> calls = new ArrayList<>();
    int failedCalls;
  }

  /** A flush whose batches are on the inference threads: its window, batches and their futures. */
  private static final class InFlight<P, R> {
    final BoundedWindow window;
    final List<List<Pending<P>>> batches;
    final List<Future<Outcome<R>>> futures;
    /** The earliest timestamp of its documents: it is emitted while processing an element no later. */
    final Instant earliest;

    InFlight(BoundedWindow window, List<List<Pending<P>>> batches, List<Future<Outcome<R>>> futures, Instant earliest) {
      this.window = window;
      this.batches = batches;
      this.futures = futures;
      this.earliest = earliest;
    }
  }

  /** Where a flush sends what it makes. */
  private interface Emitter<R> {
    void result(R result, Instant timestamp);

    void deadLetter(DeadLetter deadLetter, Instant timestamp);
  }

  private static final class InferenceFn<P, R> extends DoFn<Document, R> {
    private static final int MAX_DETAIL_CHARS = 2000;

    private final String stage;
    private final InferenceTask<P, R> task;
    private final Batching batching;
    private final ModelReader reader;
    private final TupleTag<R> resultsTag;
    private final TupleTag<DeadLetter> deadLettersTag;

    private final Counter documents;
    private final Counter results;
    private final Counter deadLetters;
    private final Counter tokens;
    private final Counter paddedTokens;
    private final Counter batches;
    private final Counter failedBatches;
    private final Counter tokenizeMicros;
    private final Distribution batchSize;
    private final Distribution batchLatencyMicros;
    private final Distribution modelLoadMillis;

    private transient SharedModels.Handle handle;
    private transient InferenceTask.Runner<P, R> runner;
    private transient long unreportedLoadMillis = -1;
    private transient Map<BoundedWindow, Buffer<P>> buffers;
    /** Flushes submitted and not yet emitted, oldest first. */
    private transient ArrayDeque<InFlight<P, R>> inFlight;
    private transient ExecutorService pool;
    private transient StageTallies.Tally tally;

    InferenceFn(
        String stage,
        String namespace,
        InferenceTask<P, R> task,
        Batching batching,
        ModelReader reader,
        TupleTag<R> resultsTag,
        TupleTag<DeadLetter> deadLettersTag) {
      this.stage = stage;
      this.task = task;
      this.batching = batching;
      this.reader = reader;
      this.resultsTag = resultsTag;
      this.deadLettersTag = deadLettersTag;
      this.documents = Metrics.counter(namespace, "documents");
      this.results = Metrics.counter(namespace, "results");
      this.deadLetters = Metrics.counter(namespace, "deadLetters");
      this.tokens = Metrics.counter(namespace, "tokens");
      this.paddedTokens = Metrics.counter(namespace, "paddedTokens");
      this.batches = Metrics.counter(namespace, "batches");
      this.failedBatches = Metrics.counter(namespace, "failedBatches");
      this.tokenizeMicros = Metrics.counter(namespace, "tokenizeMicros");
      this.batchSize = Metrics.distribution(namespace, "batchSize");
      this.batchLatencyMicros = Metrics.distribution(namespace, "batchLatencyMicros");
      this.modelLoadMillis = Metrics.distribution(namespace, "modelLoadMillis");
    }

    @Setup
    public void setup() {
      ModelConfig config = InferenceThreads.cpuModel(task.model());
      pool = InferenceThreads.forModel(config);
      tally = StageTallies.of(stage);
      SharedModels.Handle acquired;
      try {
        acquired = SharedModels.acquire(config, reader);
      } catch (RuntimeException e) {
        throw new ModelException(stage + " cannot load its model: " + e.getMessage(), e);
      }
      try {
        runner = task.open(acquired.model());
      } catch (RuntimeException e) {
        acquired.close();
        throw new ModelException(stage + " cannot use model " + config.name() + ": " + e.getMessage(), e);
      }
      handle = acquired;
      // Metrics need a bundle's context; the load time is reported at the next @StartBundle.
      unreportedLoadMillis = acquired.loadedByThisAcquire() ? acquired.loadTime().toMillis() : -1;
    }

    @StartBundle
    public void startBundle() {
      buffers = new LinkedHashMap<>();
      inFlight = new ArrayDeque<>();
      if (unreportedLoadMillis >= 0) {
        modelLoadMillis.update(unreportedLoadMillis);
        unreportedLoadMillis = -1;
      }
    }

    @ProcessElement
    public void process(
        @Element Document document,
        @Timestamp Instant timestamp,
        BoundedWindow window,
        MultiOutputReceiver out) {
      documents.inc();
      Emitter<R> emitter =
          new Emitter<R>() {
            @Override
            public void result(R result, Instant at) {
              out.get(resultsTag).outputWithTimestamp(result, later(at, timestamp));
            }

            @Override
            public void deadLetter(DeadLetter deadLetter, Instant at) {
              out.get(deadLettersTag).outputWithTimestamp(deadLetter, later(at, timestamp));
            }
          };
      P input;
      long tokenizeStart = System.nanoTime();
      try {
        input = runner.prepare(document.text());
        tokenizeMicros.inc((System.nanoTime() - tokenizeStart) / 1_000L);
      } catch (RuntimeException e) {
        emitDeadLetter(
            document.id(), document.source(), document.text(), "tokenizing", e, timestamp, emitter);
        tally.add(1);
        return;
      }
      Buffer<P> buffer = buffers.computeIfAbsent(window, w -> new Buffer<>());
      buffer.items.add(new Pending<>(document, input, runner.tokens(input), timestamp));
      long waitedMillis = (System.nanoTime() - buffer.startNanos) / 1_000_000L;
      if (buffer.items.size() >= batching.maxBufferedDocuments()
          || waitedMillis >= batching.maxBufferingDuration().getMillis()) {
        buffers.remove(window);
        // The new flush's batches go to the inference threads first, then the older flushes of this
        // window are emitted: the threads are never without work while this thread waits, and they
        // run this flush while this thread tokenizes the next one's documents. A flush with a
        // document older than this element waits for the end of the bundle, where every result is
        // output with its own document's timestamp (here it could not be earlier than this one's).
        InFlight<P, R> submitted = submit(window, buffer.items);
        for (java.util.Iterator<InFlight<P, R>> it = inFlight.iterator(); it.hasNext(); ) {
          InFlight<P, R> older = it.next();
          if (older.window.equals(window) && !older.earliest.isBefore(timestamp)) {
            it.remove();
            emit(older, emitter);
          }
        }
        inFlight.add(submitted);
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      for (Map.Entry<BoundedWindow, Buffer<P>> e : buffers.entrySet()) {
        inFlight.add(submit(e.getKey(), e.getValue().items));
      }
      buffers.clear();
      while (!inFlight.isEmpty()) {
        InFlight<P, R> f = inFlight.poll();
        BoundedWindow window = f.window;
        emit(
            f,
            new Emitter<R>() {
              @Override
              public void result(R result, Instant at) {
                context.output(resultsTag, result, at, window);
              }

              @Override
              public void deadLetter(DeadLetter deadLetter, Instant at) {
                context.output(deadLettersTag, deadLetter, at, window);
              }
            });
      }
    }

    @Teardown
    public void teardown() {
      if (handle != null) {
        handle.close();
        handle = null;
        runner = null;
      }
    }

    private static Instant later(Instant a, Instant b) {
      return a.isBefore(b) ? b : a;
    }

    /**
     * Length-sorts {@code pending}, cuts it into batches bounded in documents and tokens, and hands
     * the batches to the JVM's inference threads ({@link InferenceThreads}) without waiting: {@link
     * #emit} waits for them later. On a batch runner (one timestamp) at most two flushes per window
     * are in flight, the one being emitted and the newest; where timestamps rise within a bundle
     * (streaming), flushes wait for the end of their (small) bundle.
     */
    private InFlight<P, R> submit(BoundedWindow window, List<Pending<P>> pending) {
      int[] lengths = new int[pending.size()];
      for (int i = 0; i < lengths.length; i++) {
        lengths[i] = pending.get(i).tokens;
      }
      List<List<Pending<P>>> batchList = new ArrayList<>();
      List<Integer> widths = new ArrayList<>();
      List<Pending<P>> batch = new ArrayList<>();
      int width = 0;
      for (int i : LengthBucketing.sortedOrder(lengths)) {
        Pending<P> p = pending.get(i);
        int wider = Math.max(width, p.tokens);
        if (!batch.isEmpty()
            && (batch.size() >= batching.maxBatchSize()
                || (long) (batch.size() + 1) * wider > batching.maxBatchTokens())) {
          batchList.add(batch);
          widths.add(width);
          batch = new ArrayList<>();
          wider = p.tokens;
        }
        batch.add(p);
        width = wider;
      }
      if (!batch.isEmpty()) {
        batchList.add(batch);
        widths.add(width);
      }
      List<Future<Outcome<R>>> futures = new ArrayList<>(batchList.size());
      for (int b = 0; b < batchList.size(); b++) {
        List<Pending<P>> run = batchList.get(b);
        int w = widths.get(b);
        futures.add(pool.submit(() -> runBatch(run, w)));
      }
      Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
      for (Pending<P> p : pending) {
        earliest = p.timestamp.isBefore(earliest) ? p.timestamp : earliest;
      }
      return new InFlight<>(window, batchList, futures, earliest);
    }

    /**
     * Waits for a flush's batches and emits their results in batch order from this (the DoFn's)
     * thread. Metrics are updated here too: Beam's metrics containers belong to the DoFn's thread.
     */
    private void emit(InFlight<P, R> flush, Emitter<R> emitter) {
      List<List<Pending<P>>> batchList = flush.batches;
      List<Future<Outcome<R>>> futures = flush.futures;
      for (int b = 0; b < futures.size(); b++) {
        Outcome<R> outcome = await(futures.get(b));
        record(outcome);
        List<Pending<P>> run = batchList.get(b);
        tally.add(run.size());
        for (int j = 0; j < run.size(); j++) {
          Object r = outcome.perDocument.get(j);
          if (r instanceof RuntimeException) {
            emitDeadLetter(run.get(j), (RuntimeException) r, emitter);
          } else {
            @SuppressWarnings("unchecked")
            R result = (R) r;
            emitResult(run.get(j), result, emitter);
          }
        }
      }
    }

    private static <T> T await(Future<T> future) {
      try {
        return future.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for a model call", e);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof Error) {
          throw (Error) cause;
        }
        throw new IllegalStateException("a model call failed outside its batch: " + cause, cause);
      }
    }

    /** Updates the stage's metrics for one batch's outcome (on the DoFn's thread). */
    private void record(Outcome<R> o) {
      failedBatches.inc(o.failedCalls);
      for (long[] call : o.calls) {
        batches.inc();
        batchSize.update(call[0]);
        batchLatencyMicros.update(call[1]);
        tokens.inc(call[2]);
        paddedTokens.inc(call[3]);
      }
    }

    /**
     * Runs one batch (on an inference thread); on failure, runs its documents one by one. Each
     * document's outcome is its result or the exception that makes it a dead letter.
     */
    private Outcome<R> runBatch(List<Pending<P>> batch, int width) {
      Outcome<R> o = new Outcome<>();
      try {
        o.perDocument.addAll(call(batch, width, o));
        return o;
      } catch (RuntimeException e) {
        o.failedCalls++;
        if (batch.size() == 1) {
          o.perDocument.add(e);
          return o;
        }
      }
      for (Pending<P> p : batch) {
        try {
          o.perDocument.add(call(List.of(p), p.tokens, o).get(0));
        } catch (RuntimeException single) {
          o.failedCalls++;
          o.perDocument.add(single);
        }
      }
      return o;
    }

    private List<R> call(List<Pending<P>> batch, int width, Outcome<R> o) {
      List<P> inputs = new ArrayList<>(batch.size());
      List<String> ids = new ArrayList<>(batch.size());
      long real = 0;
      for (Pending<P> p : batch) {
        inputs.add(p.input);
        ids.add(p.id);
        real += p.tokens;
      }
      long start = System.nanoTime();
      List<R> out = runner.run(inputs, ids);
      long micros = (System.nanoTime() - start) / 1_000L;
      if (out.size() != batch.size()) {
        throw new IllegalStateException(
            stage + " returned " + out.size() + " results for " + batch.size() + " documents");
      }
      o.calls.add(new long[] {batch.size(), micros, real, (long) width * batch.size()});
      return out;
    }

    private void emitResult(Pending<P> p, R result, Emitter<R> emitter) {
      String problem = runner.problem(result);
      if (problem != null) {
        deadLetters.inc();
        emitter.deadLetter(
            DeadLetter.of(
                DeadLetter.Reason.INFERENCE_FAILED,
                p.source,
                detail(stage + " gave no usable result for document '" + p.id + "': " + problem),
                p.payload),
            p.timestamp);
        return;
      }
      results.inc();
      emitter.result(result, p.timestamp);
    }

    private void emitDeadLetter(Pending<P> p, RuntimeException e, Emitter<R> emitter) {
      emitDeadLetter(p.id, p.source, p.payload, "inference", e, p.timestamp, emitter);
    }

    private void emitDeadLetter(
        String id,
        String source,
        String payload,
        String step,
        RuntimeException e,
        Instant timestamp,
        Emitter<R> emitter) {
      deadLetters.inc();
      String message = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
      emitter.deadLetter(
          DeadLetter.of(
              DeadLetter.Reason.INFERENCE_FAILED,
              source,
              detail(stage + " " + step + " failed for document '" + id + "': " + message),
              payload),
          timestamp);
    }

    private static String detail(String s) {
      return s.length() > MAX_DETAIL_CHARS ? s.substring(0, MAX_DETAIL_CHARS) + "..." : s;
    }
  }
}
