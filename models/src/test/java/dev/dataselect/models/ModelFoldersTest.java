package dev.dataselect.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFoldersTest {
  @TempDir Path dir;

  private Path folder(String name, String... files) throws IOException {
    Path f = Files.createDirectories(dir.resolve(name));
    for (String file : files) {
      Files.writeString(f.resolve(file), "x");
    }
    return f;
  }

  @Test
  void recognisesEachLayoutByItsFiles() throws IOException {
    ModelFolders.Lister local = ModelFolders.localLister();
    ModelConfig t5 = ModelFolders.askLlm(folder("t5", "encoder_model.onnx", "decoder_model_merged.onnx", "tokenizer.json").toString(), 256, local);
    assertEquals(ModelKind.ENCODER_DECODER, t5.kind());
    assertTrue(t5.decoder().uri().endsWith("t5/decoder_model_merged.onnx"), t5.toString());
    assertEquals(256, t5.maxTokens());
    ModelConfig t5Plain = ModelFolders.askLlm(folder("t5b", "encoder_model.onnx", "decoder_model.onnx", "decoder_model_merged.onnx", "tokenizer.json").toString(), 256, local);
    assertTrue(t5Plain.decoder().uri().endsWith("t5b/decoder_model.onnx"), "the plain decoder is preferred: " + t5Plain);
    ModelConfig decoderOnly = ModelFolders.askLlm(folder("lm", "model.onnx", "tokenizer.json").toString(), 128, local);
    assertEquals(ModelKind.CAUSAL_LM, decoderOnly.kind());
    assertEquals(ModelKind.CAUSAL_LM, ModelFolders.causalLm(dir.resolve("lm") + "/", 128, local).kind());
    assertEquals(ModelKind.EMBEDDING, ModelFolders.embedding(dir.resolve("lm").toString(), Pooling.MEAN, 512, local).kind());
  }

  @Test
  void aFolderWithoutALayoutsFileFailsNamingItAndWhatTheFolderHolds() throws IOException {
    ModelFolders.Lister local = ModelFolders.localLister();
    Path t5 = folder("partial", "encoder_model.onnx", "decoder_model.onnx");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFolders.askLlm(t5.toString(), 256, local));
    assertTrue(e.getMessage().contains("has no tokenizer.json") && e.getMessage().contains("encoder_model.onnx"), e.getMessage());
    Path empty = folder("empty");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelFolders.causalLm(empty.toString(), 64, local))
        .getMessage().contains("empty or does not exist"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelFolders.embedding(dir.resolve("missing").toString(), Pooling.MEAN, 64, local))
        .getMessage().contains("cannot be listed"));
  }
}
