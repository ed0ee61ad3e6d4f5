/**
 * ONNX inference as Beam transforms: {@link dev.dataselect.transforms.inference.Embed}, {@link
 * dev.dataselect.transforms.inference.AskLlmScore} and {@link
 * dev.dataselect.transforms.inference.PerplexityScore} over {@code Document}s, each returning its
 * results ({@link dev.dataselect.transforms.Embedding} or {@link
 * dev.dataselect.transforms.DocumentScore}) and {@code DEAD_LETTERS}; and the Parquet
 * cache of results: {@link dev.dataselect.transforms.inference.WriteScores}/{@link
 * dev.dataselect.transforms.inference.ReadScores}, {@link
 * dev.dataselect.transforms.inference.WriteEmbeddings}/{@link
 * dev.dataselect.transforms.inference.ReadEmbeddings}.
 *
 * <p>The models themselves (sessions, tokenizers, pooling, ASK-LLM, perplexity) live in {@code
 * dev.dataselect.models}; this package adds batching, one shared model per JVM, failure isolation,
 * metrics and persistence. Model files are read from local paths, {@code classpath:}, or any Beam
 * file system ({@code gs://}) through {@link dev.dataselect.transforms.inference.BeamModelReader}.
 */
package dev.dataselect.transforms.inference;
