package dev.dataselect.pipelines.options;

/** Options of {@code --job=report}: which output folder's report to render. */
public interface ReportJobOptions extends JobOptions, OutputOptions {}
