package dev.dataselect.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.models.embed.SentenceEmbedder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SharedModelsTest {

  private static ModelConfig config(String name) {
    return ModelConfig.embedding(
            ModelLocation.ofBytes("embed.onnx", Fixtures.embeddingModel(true)),
            Fixtures.tokenizer(Fixtures.Frame.WRAPPED))
        .withName(name);
  }

  @Test
  void loadsOnceForTwoAcquirersAndClosesAfterTheLastRelease() throws Exception {
    ModelConfig config = config("shared-two");
    long loadsBefore = SharedModels.loadCount();
    SharedModels.Handle first = SharedModels.acquire(config);
    SharedModels.Handle second = SharedModels.acquire(config(("shared-two")));
    assertEquals(loadsBefore + 1, SharedModels.loadCount());
    assertSame(first.model(), second.model());
    assertTrue(first.loadedByThisAcquire());
    assertFalse(second.loadedByThisAcquire());
    assertTrue(first.loadTime().toNanos() > 0);
    assertEquals(2, SharedModels.refCount(config));

    LoadedModel model = first.model();
    first.close();
    first.close(); // idempotent
    assertEquals(1, SharedModels.refCount(config));
    assertEquals(1, new SentenceEmbedder(second.model()).embed(List.of("the cat")).length);

    second.close();
    assertEquals(0, SharedModels.refCount(config));
    assertThrows(IllegalStateException.class, () -> model.session().run(Map.of()));
    assertThrows(IllegalStateException.class, first::model);

    try (SharedModels.Handle again = SharedModels.acquire(config)) {
      assertTrue(again.loadedByThisAcquire());
      assertEquals(loadsBefore + 2, SharedModels.loadCount());
    }
  }

  @Test
  void concurrentAcquirersShareOneLoad() throws Exception {
    ModelConfig config = config("shared-concurrent");
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<SharedModels.Handle>> futures = new ArrayList<>();
    try {
      for (int i = 0; i < threads; i++) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return SharedModels.acquire(config);
                }));
      }
      start.countDown();
      List<SharedModels.Handle> handles = new ArrayList<>();
      for (Future<SharedModels.Handle> f : futures) {
        handles.add(f.get(60, TimeUnit.SECONDS));
      }
      assertEquals(1, handles.stream().filter(SharedModels.Handle::loadedByThisAcquire).count());
      assertEquals(threads, SharedModels.refCount(config));
      LoadedModel shared = handles.get(0).model();
      for (SharedModels.Handle h : handles) {
        assertSame(shared, h.model());
      }
      for (SharedModels.Handle h : handles) {
        assertEquals(threads, SharedModels.refCount(config) + handles.indexOf(h));
        h.close();
      }
      assertEquals(0, SharedModels.refCount(config));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aFailedLoadLeavesNoReference() {
    ModelConfig broken =
        ModelConfig.embedding(
            ModelLocation.ofBytes("broken.onnx", new byte[] {1, 2, 3}),
            Fixtures.tokenizer(Fixtures.Frame.WRAPPED));
    assertThrows(ModelException.class, () -> SharedModels.acquire(broken));
    assertEquals(0, SharedModels.refCount(broken));
  }
}
