package dev.dataselect.pipelines.options;

/** Options of the main job: read → deduplicate → score / embed → select → write. */
public interface DataselectOptions
    extends JobOptions, CorpusOptions, SelectionOptions, ReselectOptions, ModelOptions, DensityOptions, OutputOptions, StudentOptions {}
