package dev.dataselect.pipelines;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.pipelines.options.DataselectOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/** Runs the main job in-process on the DirectRunner and reads what it wrote. */
final class JobRuns {
  private JobRuns() {}

  static DataselectOptions options(String... args) {
    return PipelineOptionsFactory.fromArgs(args).withValidation().as(DataselectOptions.class);
  }

  static JsonNode run(String... args) {
    DataselectOptions options = options(args);
    PipelineResult.State state = Dataselect.run(options).waitUntilFinish();
    if (state != PipelineResult.State.DONE) {
      throw new AssertionError("job ended " + state);
    }
    return summary(Path.of(options.getOutput()));
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
}
