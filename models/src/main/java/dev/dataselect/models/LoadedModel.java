package dev.dataselect.models;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.dataselect.models.text.TextTokenizer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model's ONNX Runtime session(s) and its tokenizer, loaded from a {@link ModelConfig}. Sessions
 * and the tokenizer are safe to use from many threads at once. Prefer {@link SharedModels}, which
 * loads each config once per JVM; close a model loaded directly when done.
 */
public final class LoadedModel implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LoadedModel.class);

  private final ModelConfig config;
  private final OrtSession session;
  private final OrtSession decoderSession;
  private final TextTokenizer tokenizer;
  private final String provider;
  private final Duration loadTime;
  private final boolean logitPositions;
  private final String logitsNote;

  private LoadedModel(
      ModelConfig config,
      OrtSession session,
      OrtSession decoderSession,
      TextTokenizer tokenizer,
      String provider,
      Duration loadTime,
      LogitPositions.Result logits) {
    this.config = config;
    this.session = session;
    this.decoderSession = decoderSession;
    this.tokenizer = tokenizer;
    this.provider = provider;
    this.loadTime = loadTime;
    this.logitPositions = logits != null && logits.available();
    this.logitsNote = logits == null ? "" : logits.message();
  }

  /** Loads local paths and {@code classpath:} resources. */
  public static LoadedModel load(ModelConfig config) {
    return load(config, ModelReader.local());
  }

  /** Loads with {@code reader} for URIs that are not local files (e.g. {@code gs://}). */
  public static LoadedModel load(ModelConfig config, ModelReader reader) {
    long start = System.nanoTime();
    List<AutoCloseable> opened = new ArrayList<>();
    try (OnnxSessions.Options options = OnnxSessions.options(config)) {
      TextTokenizer tokenizer;
      try {
        tokenizer = TextTokenizer.fromJson(config.tokenizer().read(reader), config.padTokenId());
      } catch (IOException e) {
        throw new ModelException(
            "Cannot read tokenizer " + config.tokenizer() + ": " + e.getMessage(), e);
      }
      opened.add(tokenizer);
      OrtSession session;
      LogitPositions.Result logits = null;
      if (config.kind() == ModelKind.CAUSAL_LM) {
        logits = LogitPositions.rewrite(readModel(config, reader));
        if (logits.available()) {
          session = OnnxSessions.openEdited(config.model(), logits.model(), options);
        } else {
          LOG.warn("{}: the LM head runs at every position, so a batch returns rows x width x"
              + " vocabulary logits: {}", config.name(), logits.message());
          session = OnnxSessions.open(config.model(), reader, options);
        }
        logits = new LogitPositions.Result(null, logits.available(), logits.message());
      } else {
        session = OnnxSessions.open(config.model(), reader, options);
      }
      opened.add(session);
      OrtSession decoder = null;
      if (config.kind() == ModelKind.ENCODER_DECODER) {
        decoder = OnnxSessions.open(config.decoder(), reader, options);
        opened.add(decoder);
      }
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      LOG.info("Loaded {} on {} in {} ms", config, options.provider(), took.toMillis());
      return new LoadedModel(config, session, decoder, tokenizer, options.provider(), took, logits);
    } catch (RuntimeException e) {
      for (AutoCloseable c : opened) {
        closeQuietly(c);
      }
      throw e;
    }
  }

  private static byte[] readModel(ModelConfig config, ModelReader reader) {
    byte[] held = config.model().bytesOrNull();
    if (held != null) {
      return held; // the rewrite only reads it
    }
    try {
      return config.model().read(reader);
    } catch (IOException e) {
      throw new ModelException(
          "Cannot read ONNX model " + config.model() + ": " + e.getMessage(), e);
    }
  }

  /**
   * True when the session takes {@link LogitPositions#INPUT}: a causal LM whose LM head runs only
   * at the positions asked for (rewritten at load time, or exported so).
   */
  public boolean logitPositions() {
    return logitPositions;
  }

  /** What {@link LogitPositions} did with a causal LM (or why it could not), else "". */
  public String logitsNote() {
    return logitsNote;
  }

  public ModelConfig config() {
    return config;
  }

  /** The model session ({@code encoder_model.onnx} for an encoder-decoder). */
  public OrtSession session() {
    return session;
  }

  /** The decoder session of an encoder-decoder, else null. */
  public OrtSession decoderSession() {
    return decoderSession;
  }

  public TextTokenizer tokenizer() {
    return tokenizer;
  }

  /** The execution provider in use, e.g. "CPU", "CUDA:0" or "CPU (CUDA:0 unavailable)". */
  public String provider() {
    return provider;
  }

  /** Wall time spent loading the tokenizer and sessions. */
  public Duration loadTime() {
    return loadTime;
  }

  @Override
  public void close() {
    if (decoderSession != null) {
      closeQuietly(decoderSession);
    }
    closeQuietly(session);
    tokenizer.close();
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (OrtException e) {
      LOG.warn("Closing an ONNX Runtime session failed", e);
    } catch (Exception e) {
      LOG.warn("Closing a model resource failed", e);
    }
  }
}
