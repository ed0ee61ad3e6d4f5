package dev.dataselect.pipelines;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.pipelines.options.DataselectOptions;
import dev.dataselect.pipelines.options.JobOptions;
import dev.dataselect.pipelines.options.OutputOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import dev.dataselect.transforms.testing.TestPipelines;
import org.apache.beam.sdk.PipelineResult;

/**
 * Runs the main job in-process on the DirectRunner and reads what it wrote.
 *
 * <p>Whole-job runs switch off the DirectRunner's immutability enforcement ({@link
 * #DIRECT_RUNNER_FLAGS}): it walks the whole pipeline graph for every bundle it creates (a profile
 * of {@code SharedWebDataTest} spent 58 % of its samples in that walk, from {@code
 * ImmutabilityEnforcementFactory.isReadTransform}), which on the job's graph of hundreds of
 * transforms and thousands of small bundles turns seconds into minutes. Every DoFn of the job is
 * also run by its own transform's tests in {@code transforms/}, with the enforcement on; encodability
 * enforcement stays on here. They run with one DirectRunner worker, as {@code TestPipelines} explains.
 */
final class JobRuns {
  private JobRuns() {}

  /** What whole-job DirectRunner runs add to their arguments (see the class comment). */
  static final List<String> DIRECT_RUNNER_FLAGS = List.of("--enforceImmutability=false", "--targetParallelism=1");

  /**
   * How long a whole-job test run may take before it is cancelled and fails (the slowest takes
   * about a minute here): a DirectRunner hang fails its test instead of holding the build.
   */
  static final org.joda.time.Duration JOB_LIMIT = org.joda.time.Duration.standardMinutes(10);

  /** The options of the job {@code --job} names (its own interface, as bin/dataselect parses them). */
  static JobOptions options(String... args) {
    List<String> all = new java.util.ArrayList<>(DIRECT_RUNNER_FLAGS);
    all.addAll(List.of(args));
    return Dataselect.options(all.toArray(new String[0]));
  }

  /** The main job's options. */
  static DataselectOptions selectOptions(String... args) {
    return (DataselectOptions) options(args);
  }

  static JsonNode run(String... args) {
    JobOptions options = options(args);
    PipelineResult.State state = TestPipelines.await(Dataselect.run(options), JOB_LIMIT);
    if (state != PipelineResult.State.DONE) {
      throw new AssertionError("job ended " + state);
    }
    return summary(Path.of(options.as(OutputOptions.class).getOutput()));
  }

  static JsonNode summary(Path out) {
    try {
      return new ObjectMapper().readTree(Files.readString(out.resolve("summary.json")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The selected ids, sorted, one per line: two runs agree iff these strings are equal. */
  static String selectedIds(Path out) {
    try (Stream<Path> files = Files.list(out.resolve("selected-ids"))) {
      return files
          .flatMap(f -> lines(f).stream())
          .sorted()
          .collect(Collectors.joining("\n"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> lines(Path f) {
    try {
      return Files.readAllLines(f, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The Flan-T5-shaped ASK-LLM fixture (models' test-jar) as a model folder under {@code dir}. */
  static Path askLlmFixture(Path dir) {
    Path model = dir.resolve("askllm");
    try {
      Files.createDirectories(model);
      Files.write(model.resolve("encoder_model.onnx"), dev.dataselect.models.Fixtures.encoderModel());
      Files.write(model.resolve("decoder_model.onnx"), dev.dataselect.models.Fixtures.decoderModel());
      Files.write(model.resolve("tokenizer.json"), dev.dataselect.models.Fixtures.tokenizerJson(dev.dataselect.models.Fixtures.Frame.T5));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return model;
  }
}
