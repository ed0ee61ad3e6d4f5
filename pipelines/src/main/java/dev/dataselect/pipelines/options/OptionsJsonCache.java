package dev.dataselect.pipelines.options;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.ObjectCodec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.AnnotatedClass;
import com.fasterxml.jackson.databind.introspect.NopAnnotationIntrospector;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.options.PipelineOptions;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Serialises a {@link PipelineOptions} to JSON once per state instead of once per call: the same
 * JSON Beam's own serializer writes, replayed while the options are unchanged.
 *
 * <p>Why: Beam's Flink runner makes a {@code SerializablePipelineOptions} for every operator and
 * every type information it translates (a {@code FlinkDoFnFunction}, each output's pruning function
 * and {@code CoderTypeInformation}), about a thousand for the main job's graph. Each one runs Beam's
 * {@code ProxyInvocationHandler.Serializer}, which walks every method of every options interface by
 * reflection (to drop {@code @JsonIgnore} options and to build the display data): 1.5–7 ms each. In
 * a JFR profile of the demo that was 72 % of the Flink translation, about 4 s of the job's wall,
 * all on one core before the first document is read. With this module a repeat costs a tree replay
 * (about 0.05 ms).
 *
 * <p>How: Beam's {@code SerializablePipelineOptions} (and {@code PipelineOptionsFactory}) use a
 * mapper that registers the Jackson modules on the class path ({@code ObjectMapper.findModules}),
 * which finds this one through {@code META-INF/services}. It puts an annotation introspector in
 * front of Jackson's, so the {@code @JsonSerialize} on {@code PipelineOptions} resolves to {@link
 * CachingSerializer}. That calls Beam's serializer (the class the annotation names) into a token
 * buffer, keeps the tree, and replays it while the options proxy's state is the same: its revision
 * (every setter increments it), its computed properties (every {@code as} that adds an interface
 * replaces them) and the number of bound values (a default computed by a getter adds one). Those
 * are private fields of Beam's {@code ProxyInvocationHandler}; when this Beam version lacks them
 * the module stands aside and Beam's serializer runs on every call, as without it ({@link
 * #active()} says which; a test requires it on the shipped Beam).
 *
 * <p>Limits: a value mutated in place (an option's list changed without its setter) is not seen;
 * Beam's own options cache has the same blind spot. Entries are held weakly by the options proxy's
 * handler, by identity.
 */
public final class OptionsJsonCache extends SimpleModule {
  private static final long serialVersionUID = 1L;

  public OptionsJsonCache() {
    super("dataselect-options-json-cache");
  }

  @Override
  public void setupModule(SetupContext context) {
    super.setupModule(context);
    if (!active()) {
      return;
    }
    context.insertAnnotationIntrospector(new NopAnnotationIntrospector() {
      private static final long serialVersionUID = 1L;

      @Override
      public @Nullable Object findSerializer(Annotated a) {
        return a instanceof AnnotatedClass && PipelineOptions.class.isAssignableFrom(a.getRawType()) ? CachingSerializer.INSTANCE : null;
      }
    });
  }

  /** Whether caching works on this Beam version (else the module leaves Beam's serializer alone). */
  public static boolean active() {
    return Beam.ORIGINAL != null;
  }

  /** Serialisations answered from the cache, and those Beam's serializer ran, in this JVM. */
  public static long hits() {
    return CachingSerializer.HITS.get();
  }

  public static long misses() {
    return CachingSerializer.MISSES.get();
  }

  /** Beam's serializer and the handler's fields that say when its output changes; null when absent. */
  private static final class Beam {
    static final @Nullable JsonSerializer<PipelineOptions> ORIGINAL;
    static final @Nullable Field REVISION;
    static final @Nullable Field COMPUTED;
    static final @Nullable Field OPTIONS;

    static {
      JsonSerializer<PipelineOptions> original = null;
      Field revision = null;
      Field computed = null;
      Field options = null;
      try {
        JsonSerialize annotation = PipelineOptions.class.getAnnotation(JsonSerialize.class);
        Class<?> handler = Class.forName("org.apache.beam.sdk.options.ProxyInvocationHandler");
        revision = accessible(handler.getDeclaredField("revision"), AtomicInteger.class);
        computed = accessible(handler.getDeclaredField("computedProperties"), Object.class);
        options = accessible(handler.getDeclaredField("options"), Map.class);
        Constructor<?> c = annotation.using().getDeclaredConstructor();
        c.setAccessible(true);
        @SuppressWarnings("unchecked")
        JsonSerializer<PipelineOptions> s = (JsonSerializer<PipelineOptions>) c.newInstance();
        original = s;
      } catch (ReflectiveOperationException | RuntimeException e) {
        original = null; // another Beam version: no cache
      }
      ORIGINAL = original;
      REVISION = revision;
      COMPUTED = computed;
      OPTIONS = options;
    }

    private static Field accessible(Field f, Class<?> type) throws NoSuchFieldException {
      if (!type.isAssignableFrom(f.getType())) {
        throw new NoSuchFieldException(f + " is not a " + type.getName());
      }
      f.setAccessible(true);
      return f;
    }
  }

  /** One cached serialisation and the state it was made from. */
  private record Entry(int revision, Object computed, int bound, JsonNode json) {
    boolean matches(int revision, Object computed, int bound) {
      return this.revision == revision && this.computed == computed && this.bound == bound;
    }
  }

  /** Beam's serializer, once per options state. */
  static final class CachingSerializer extends JsonSerializer<PipelineOptions> {
    static final CachingSerializer INSTANCE = new CachingSerializer();
    private static final Cache<Object, Entry> CACHE = CacheBuilder.newBuilder().weakKeys().build();
    private static final AtomicLong HITS = new AtomicLong();
    private static final AtomicLong MISSES = new AtomicLong();

    @Override
    public void serialize(PipelineOptions value, JsonGenerator gen, SerializerProvider provider) throws IOException {
      JsonSerializer<PipelineOptions> original = Objects.requireNonNull(Beam.ORIGINAL, "installed only when active()");
      ObjectCodec codec = gen.getCodec();
      if (codec == null || !Proxy.isProxyClass(value.getClass())) { // no tree to keep: as Beam does
        original.serialize(value, gen, provider);
        return;
      }
      Object handler = Proxy.getInvocationHandler(value);
      JsonNode json;
      synchronized (handler) { // Beam's serializer holds the same lock: a setter cannot run in between
        int revision;
        Object computed;
        int bound;
        try {
          revision = ((AtomicInteger) Beam.REVISION.get(handler)).get();
          computed = Beam.COMPUTED.get(handler);
          bound = ((Map<?, ?>) Beam.OPTIONS.get(handler)).size();
        } catch (IllegalAccessException | IllegalArgumentException e) {
          original.serialize(value, gen, provider);
          return;
        }
        Entry e = CACHE.getIfPresent(handler);
        if (e == null || !e.matches(revision, computed, bound)) {
          TokenBuffer buffer = new TokenBuffer(codec, false);
          original.serialize(value, buffer, provider);
          e = new Entry(revision, computed, bound, codec.readTree(buffer.asParser(codec)));
          CACHE.put(handler, e);
          MISSES.incrementAndGet();
        } else {
          HITS.incrementAndGet();
        }
        json = e.json();
      }
      gen.writeTree(json);
    }
  }
}
