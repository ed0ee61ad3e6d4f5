package dev.dataselect.pipelines;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.MimeTypes;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;

/**
 * Writes {@code summary.json} from named counts computed inside the pipeline (so they are exact on
 * every runner and after retries, unlike attempted metrics). Count names with a dot nest: {@code
 * deadLetters.empty_text} becomes {@code "deadLetters": {"empty_text": n}}. Written once, by one
 * worker, after every count is final.
 */
public final class WriteSummary extends PTransform<PCollection<KV<String, Long>>, PDone> {
  private final String path;
  private final String optionsJson;
  private final long startMillis;
  private final Layout layout;

  /** How a job lays its counts out in summary.json. */
  interface Layout extends java.io.Serializable {
    ObjectNode toJson(ObjectMapper mapper, Map<String, Long> counts, com.fasterxml.jackson.databind.JsonNode options, double wallSeconds);
  }

  WriteSummary(String path, String optionsJson, long startMillis) {
    this(path, optionsJson, startMillis, Summary::toJson);
  }

  WriteSummary(String path, String optionsJson, long startMillis, Layout layout) {
    this.path = path;
    this.optionsJson = optionsJson;
    this.startMillis = startMillis;
    this.layout = layout;
  }

  @Override
  public PDone expand(PCollection<KV<String, Long>> counts) {
    counts
        .apply("ToMap", Combine.globally(new ToMap()))
        .apply("Write", ParDo.of(new WriteFn(path, optionsJson, startMillis, layout)));
    return PDone.in(counts.getPipeline());
  }

  /** Sums counts by name into one sorted map (also the run report's counts per source and language). */
  public static final class ToMap extends Combine.CombineFn<KV<String, Long>, Map<String, Long>, Map<String, Long>> {
    @Override
    public Map<String, Long> createAccumulator() {
      return new TreeMap<>();
    }

    @Override
    public Map<String, Long> addInput(Map<String, Long> acc, KV<String, Long> in) {
      acc.merge(in.getKey(), in.getValue(), Long::sum);
      return acc;
    }

    @Override
    public Map<String, Long> mergeAccumulators(Iterable<Map<String, Long>> accs) {
      Map<String, Long> out = new TreeMap<>();
      for (Map<String, Long> a : accs) {
        a.forEach((k, v) -> out.merge(k, v, Long::sum));
      }
      return out;
    }

    @Override
    public Map<String, Long> extractOutput(Map<String, Long> acc) {
      return acc;
    }

    @Override
    public Coder<Map<String, Long>> getAccumulatorCoder(CoderRegistry r, Coder<KV<String, Long>> in) {
      return MapCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    }

    @Override
    public Coder<Map<String, Long>> getDefaultOutputCoder(CoderRegistry r, Coder<KV<String, Long>> in) {
      return MapCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    }
  }

  private static final class WriteFn extends DoFn<Map<String, Long>, Void> {
    private final String path;
    private final String optionsJson;
    private final long startMillis;
    private final Layout layout;

    WriteFn(String path, String optionsJson, long startMillis, Layout layout) {
      this.path = path;
      this.optionsJson = optionsJson;
      this.startMillis = startMillis;
      this.layout = layout;
    }

    @ProcessElement
    public void process(@Element Map<String, Long> counts) throws IOException {
      ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
      ObjectNode summary = layout.toJson(mapper, counts, mapper.readTree(optionsJson),
          (System.currentTimeMillis() - startMillis) / 1000.0);
      ResourceId target = FileSystems.matchNewResource(path, false);
      try (OutputStream out = Channels.newOutputStream(FileSystems.create(target, MimeTypes.TEXT))) {
        mapper.writeValue(out, summary);
      }
    }
  }
}
