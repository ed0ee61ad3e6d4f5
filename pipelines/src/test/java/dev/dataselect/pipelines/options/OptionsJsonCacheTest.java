package dev.dataselect.pipelines.options;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.beam.runners.core.construction.SerializablePipelineOptions;
import org.apache.beam.sdk.options.ApplicationNameOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OptionsJsonCacheTest {
  /** Beam's serializer alone: PipelineOptions' own @JsonSerialize, no modules. */
  private final ObjectMapper beam = new ObjectMapper();
  private final ObjectMapper cached = new ObjectMapper().registerModule(new OptionsJsonCache());
  private DataselectOptions options;

  @BeforeEach
  void setUp() {
    options = PipelineOptionsFactory.fromArgs("--output=/tmp/a", "--rate=0.3", "--languages=en").as(DataselectOptions.class);
  }

  @Test
  void isActiveOnTheShippedBeam() {
    // If a Beam upgrade renames the handler's fields, the module stands aside: the speed-up is gone, not the JSON.
    assertTrue(OptionsJsonCache.active(), "OptionsJsonCache no longer finds ProxyInvocationHandler's state");
  }

  @Test
  void writesWhatBeamWritesAfterEveryKindOfChange() throws Exception {
    assertSame();
    long hits = OptionsJsonCache.hits();
    assertSame(); // unchanged: answered from the cache
    assertTrue(OptionsJsonCache.hits() > hits);

    JsonNode before = cached.valueToTree(options);
    options.setOutput("/tmp/b"); // a setter
    assertSame();
    assertNotEquals(before, cached.valueToTree(options));
    assertEquals("/tmp/b", cached.valueToTree(options).path("options").path("output").asText());

    options.as(StreamingOptions.class).setStreaming(true); // a new interface, then its setter
    assertSame();
    options.as(ApplicationNameOptions.class).getAppName(); // a default computed by a getter
    assertSame();
  }

  @Test
  void beamsSerializablePipelineOptionsFindsTheModuleAndSeesEveryChange() {
    long misses = OptionsJsonCache.misses();
    assertEquals("/tmp/a", new SerializablePipelineOptions(options).get().as(DataselectOptions.class).getOutput());
    assertTrue(OptionsJsonCache.misses() > misses, "Beam's mapper did not register the module (META-INF/services)");
    new SerializablePipelineOptions(options); // its first one set FileSystems' defaults, which adds interfaces (a miss)
    long hits = OptionsJsonCache.hits();
    new SerializablePipelineOptions(options);
    assertTrue(OptionsJsonCache.hits() > hits);

    options.setRate(0.7);
    assertEquals(0.7, new SerializablePipelineOptions(options).get().as(DataselectOptions.class).getRate());
  }

  private void assertSame() throws Exception {
    // As trees: JSON objects are unordered. Twice through the cached mapper: a miss, then a hit.
    JsonNode expected = beam.readTree(beam.writeValueAsString(options));
    assertEquals(expected, cached.readTree(cached.writeValueAsString(options)));
    assertEquals(expected, cached.readTree(cached.writeValueAsString(options)));
  }
}
