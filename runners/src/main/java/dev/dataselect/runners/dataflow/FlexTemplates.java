package dev.dataselect.runners.dataflow;

import dev.dataselect.pipelines.options.DataselectOptions;
import dev.dataselect.pipelines.options.ReselectTemplateOptions;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The Flex Templates this project publishes. Each one's metadata file is generated from, and
 * checked against, its options interface ({@link TemplateMetadata}, {@code TemplateMetadataTest}).
 */
public final class FlexTemplates {
  /**
   * A Flex Template: its name (also the image and spec file name), a description, the options
   * interface whose parameters it declares, the launcher main class, the metadata file.
   */
  public record Spec(
      String name, String description, Class<? extends PipelineOptions> options, Class<?> launcher, String metadataFile) {}

  public static final Spec DATASELECT = new Spec(
      "dataselect",
      "Selects a smaller, better pretraining corpus: reads the corpus, removes exact duplicates, keeps a "
          + "deterministic selection, writes the selected documents, their ids, the dead letters and summary.json.",
      DataselectOptions.class,
      DataselectFlexTemplate.class,
      "runners/dataflow/templates/dataselect-metadata.json");

  public static final Spec RESELECT = new Spec(
      "dataselect-select",
      "Score once, select many: new selections (samplers x rates or counts) from the scores an earlier dataselect "
          + "run persisted, with their ids and optionally their documents; no model runs, CPU workers suffice.",
      ReselectTemplateOptions.class,
      ReselectFlexTemplate.class,
      "runners/dataflow/templates/dataselect-select-metadata.json");

  /** Every published template; TemplateMetadataTest checks each. */
  public static final List<Spec> ALL = List.of(DATASELECT, RESELECT);

  private FlexTemplates() {}

  public static Spec named(String name) {
    return ALL.stream().filter(s -> s.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException(
            "no Flex Template named '" + name + "'; known: " + ALL.stream().map(Spec::name).toList()));
  }
}
