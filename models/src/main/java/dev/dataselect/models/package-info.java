/**
 * The ONNX model layer, free of Beam: load a model once per JVM and run it on batches.
 *
 * <ul>
 *   <li>{@link dev.dataselect.models.ModelConfig} (immutable, serializable, value equality) names a
 *       model: kind, {@link dev.dataselect.models.ModelLocation}s (local path, {@code classpath:},
 *       caller-supplied bytes, or any URI a {@link dev.dataselect.models.ModelReader} reads), pooling,
 *       prefix, token budget, execution provider, threads, optimisation level. {@link
 *       dev.dataselect.models.ModelPresets} holds the models this project uses.
 *   <li>{@link dev.dataselect.models.SharedModels#acquire} loads a config once per JVM and
 *       reference-counts it (acquire in {@code @Setup}, close the handle in {@code @Teardown}); the
 *       handle reports the load time for a metric.
 *   <li>Over a {@link dev.dataselect.models.LoadedModel}: {@link
 *       dev.dataselect.models.embed.SentenceEmbedder} (L2-normalised sentence vectors), {@link
 *       dev.dataselect.models.score.AskLlmScorer} (ASK-LLM P("yes")) and {@link
 *       dev.dataselect.models.score.PerplexityScorer} (mean token NLL).
 *   <li>A causal LM's graph is rewritten at load time by {@link
 *       dev.dataselect.models.LogitPositions} so its LM head runs only at the positions a scorer
 *       reads (ASK-LLM: the last real token), or used as exported with the reason logged.
 *   <li>Every batch is padded to its own longest input; {@link
 *       dev.dataselect.models.text.LengthBucketing} sorts inputs by length into batches and restores
 *       the input order of the results.
 * </ul>
 */
package dev.dataselect.models;
