package dev.dataselect.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.Hashes;
import dev.dataselect.transforms.select.LimitByHash;
import dev.dataselect.transforms.testing.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --limit} keeps the documents {@code Top.of(N, by hash)} kept, and no step holds them together. */
class LimitJobTest {
  /** The salt {@code --limit} has always added to the seed: a change here would change every subset. */
  private static final long LIMIT_SALT = 0x9E3779B97F4A7C15L;

  @TempDir Path dir;

  private Path docs(int n) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < n; i++) {
      s.append("{\"id\": \"d").append(i).append("\", \"text\": \"document ").append(i).append(" of a small corpus\"}\n");
    }
    return Fixtures.write(dir.resolve("docs.jsonl"), s.toString());
  }

  /** What {@code Top.of(limit, ByHash(seed))} kept: the smallest {@code unit(id, seed + salt)}, then the smallest id. */
  private static String keptByTop(int n, int limit, long seed) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add("d" + i);
    }
    return ids.stream()
        .sorted(Comparator.<String>comparingDouble(id -> Hashes.unit(id, seed + LIMIT_SALT)).thenComparing(id -> id))
        .limit(limit)
        .sorted()
        .collect(Collectors.joining("\n"));
  }

  @Test
  void keepsWhatTopKeptAndCountsTheRest() {
    Path in = docs(300);
    for (long seed : new long[] {0, 5}) {
      Path out = dir.resolve("out" + seed);
      JsonNode s = JobRuns.run("--input=" + in, "--output=" + out, "--limit=120", "--seed=" + seed, "--rate=1", "--dedup=false",
          "--progressSeconds=0", "--sampler=random");
      assertEquals(180, s.get("beyondLimit").asLong());
      assertEquals(120, s.get("selected").asLong());
      assertEquals(keptByTop(300, 120, seed), JobRuns.selectedIds(out), "seed " + seed);
    }
  }

  @Test
  void noStepCombinesDocuments() {
    Path in = docs(10);
    Pipeline p = SelectJob.build(JobRuns.selectOptions("--input=" + in, "--output=" + dir.resolve("g"), "--limit=5", "--rate=0.5",
        "--progressSeconds=0", "--sampler=random"));
    List<String> limitSteps = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    p.traverseTopologically(new Pipeline.PipelineVisitor.Defaults() {
      @Override
      public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
        check(node);
        return CompositeBehavior.ENTER_TRANSFORM;
      }

      @Override
      public void visitPrimitiveTransform(TransformHierarchy.Node node) {
        check(node);
      }

      private void check(TransformHierarchy.Node node) {
        PTransform<?, ?> t = node.getTransform();
        if (t == null || !consumesDocuments(node)) {
          return;
        }
        String name = node.getFullName();
        Object fn = t instanceof Combine.Globally ? ((Combine.Globally<?, ?>) t).getFn()
            : t instanceof Combine.PerKey ? ((Combine.PerKey<?, ?, ?>) t).getFn() : null;
        if (t.getClass().getName().contains(".Top") || (fn != null && fn.getClass().getName().contains(".Top"))) {
          problems.add(name + ": Top over documents");
        }
        if (name.equals("Limit")) {
          limitSteps.add(t.getClass().getSimpleName());
        } else if (name.startsWith("Limit/") && !(t instanceof ParDo.SingleOutput || t instanceof ParDo.MultiOutput)) {
          problems.add(name + ": " + t.getClass().getName() + " takes documents inside Limit");
        }
      }
    });
    assertEquals(List.of(LimitByHash.class.getSimpleName()), limitSteps);
    assertTrue(problems.isEmpty(), problems.toString());
  }

  private static boolean consumesDocuments(TransformHierarchy.Node node) {
    for (PValue v : node.getInputs().values()) {
      if (v instanceof PCollection && carriesDocuments(((PCollection<?>) v).getCoder())) {
        return true;
      }
    }
    return false;
  }

  /** A Document coder, or one that nests it (a KV, a list). */
  private static boolean carriesDocuments(Coder<?> coder) {
    if (coder instanceof Document.DocumentCoder) {
      return true;
    }
    List<? extends Coder<?>> args = coder.getCoderArguments();
    return args != null && args.stream().anyMatch(LimitJobTest::carriesDocuments);
  }
}
