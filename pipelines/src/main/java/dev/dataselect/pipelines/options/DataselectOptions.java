package dev.dataselect.pipelines.options;

/** Options of the main job: read → deduplicate → select → write. */
public interface DataselectOptions extends CorpusOptions, SelectionOptions, OutputOptions {}
