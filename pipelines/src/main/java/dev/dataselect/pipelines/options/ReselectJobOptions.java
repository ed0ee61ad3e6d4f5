package dev.dataselect.pipelines.options;

/** Options of {@code --job=reselect}: the template's parameters and {@code --job}. */
public interface ReselectJobOptions extends JobOptions, ReselectTemplateOptions {}
