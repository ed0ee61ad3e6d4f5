package dev.dataselect.pipelines.options;

/** Options of {@code --job=train-student}: the teacher, the embedding model, the student's fit. */
public interface TrainStudentJobOptions extends JobOptions, CorpusOptions, SelectionOptions, ModelOptions, StudentOptions, OutputOptions {}
