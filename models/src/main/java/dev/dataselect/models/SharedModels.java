package dev.dataselect.models;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One loaded model per {@link ModelConfig} per JVM, reference-counted. Each user (a DoFn instance,
 * in {@code @Setup}) calls {@link #acquire} and closes its {@link Handle} when done (in {@code
 * @Teardown}); the model loads on the first acquire and its sessions close when the last handle is
 * released, never while another holder may still use them. Thread-safe: concurrent acquirers of the
 * same config wait for one load; different configs load in parallel.
 */
public final class SharedModels {
  private static final Object LOCK = new Object();
  private static final Map<ModelConfig, Entry> ENTRIES = new HashMap<>();
  private static final AtomicLong LOADS = new AtomicLong();

  private SharedModels() {}

  private static final class Entry {
    int refs;
    LoadedModel model;
  }

  /** Acquires {@code config}'s model, reading local paths and classpath resources. */
  public static Handle acquire(ModelConfig config) {
    return acquire(config, ModelReader.local());
  }

  /**
   * Acquires {@code config}'s model, loading it with {@code reader} if no holder has it yet. The
   * reader is not part of the cache key.
   */
  public static Handle acquire(ModelConfig config, ModelReader reader) {
    Entry entry;
    synchronized (LOCK) {
      entry = ENTRIES.computeIfAbsent(config, c -> new Entry());
      entry.refs++;
    }
    boolean loadedHere = false;
    LoadedModel model;
    try {
      synchronized (entry) {
        if (entry.model == null) {
          entry.model = LoadedModel.load(config, reader);
          LOADS.incrementAndGet();
          loadedHere = true;
        }
        model = entry.model;
      }
    } catch (RuntimeException | Error e) {
      release(config, entry);
      throw e;
    }
    return new Handle(config, entry, model, loadedHere);
  }

  /** Current number of holders of {@code config} (0 when not loaded). */
  public static int refCount(ModelConfig config) {
    synchronized (LOCK) {
      Entry e = ENTRIES.get(config);
      return e == null ? 0 : e.refs;
    }
  }

  /** Loads performed by this JVM so far (all configs). */
  public static long loadCount() {
    return LOADS.get();
  }

  private static void release(ModelConfig config, Entry entry) {
    LoadedModel toClose = null;
    synchronized (LOCK) {
      entry.refs--;
      if (entry.refs == 0) {
        ENTRIES.remove(config, entry);
        synchronized (entry) {
          toClose = entry.model;
          entry.model = null;
        }
      }
    }
    if (toClose != null) {
      toClose.close();
    }
  }

  /** One holder's reference to a shared model; {@link #close()} releases it (idempotent). */
  public static final class Handle implements AutoCloseable {
    private final ModelConfig config;
    private final Entry entry;
    private final LoadedModel model;
    private final boolean loadedByThisAcquire;
    private final AtomicBoolean released = new AtomicBoolean();

    private Handle(ModelConfig config, Entry entry, LoadedModel model, boolean loaded) {
      this.config = config;
      this.entry = entry;
      this.model = model;
      this.loadedByThisAcquire = loaded;
    }

    /** The shared model; do not close it, close the handle. */
    public LoadedModel model() {
      if (released.get()) {
        throw new IllegalStateException("Handle for " + config.name() + " was released");
      }
      return model;
    }

    public ModelConfig config() {
      return config;
    }

    /** True for the one acquire that loaded the model: report {@link #loadTime()} from it. */
    public boolean loadedByThisAcquire() {
      return loadedByThisAcquire;
    }

    /** How long the (shared) load took. */
    public Duration loadTime() {
      return model.loadTime();
    }

    /** Releases this reference; the model closes when the last reference goes. */
    public void release() {
      if (released.compareAndSet(false, true)) {
        SharedModels.release(config, entry);
      }
    }

    @Override
    public void close() {
      release();
    }
  }
}
