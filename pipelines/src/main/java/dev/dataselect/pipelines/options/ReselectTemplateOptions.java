package dev.dataselect.pipelines.options;

/**
 * The parameters of the select-only Flex Template ({@code --job=reselect}): which earlier run's
 * scores, which samplers, rates or counts, and where to write. No model option: no model runs. The
 * quality stage is the first of askllm, student, perplexity that the earlier run persisted.
 */
public interface ReselectTemplateOptions extends ReselectOptions, SelectionOptions, OutputOptions {}
