package dev.dataselect.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dataselect.transforms.StageTallies;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class StageProgressTest {
  private static final List<StageProgress.Stage> STAGES = List.of(
      new StageProgress.Stage("read", "t-read", null),
      new StageProgress.Stage("in language", "t-language", null),
      new StageProgress.Stage("embedded", "t-embedded", "t-language"),
      new StageProgress.Stage("selected", "t-selected", null));

  private long start;
  private StageProgress.Reader reader;

  @BeforeEach
  void declareTheStages() {
    STAGES.forEach(s -> StageTallies.declare(s.tally));
    start = System.nanoTime();
    reader = new StageProgress.Reader(STAGES, start);
  }

  @AfterEach
  void reset() {
    StageTallies.reset();
  }

  @Test
  void aStageWhoseSuccessorIsDoneShowsDoneWithItsCountEvenBeforeItsOwnTotalArrives() {
    StageTallies.of("t-read").add(100);
    StageTallies.of("t-read").done(100);
    StageTallies.of("t-language").add(40);
    assertEquals("[    5s] running: in language 40 8.0/s   done: read 100", reader.line(start + 5_000_000_000L));
    StageTallies.of("t-embedded").add(40);
    assertEquals("[   10s] running: in language 40 0.0/s | embedded 40 8.0/s   done: read 100", reader.line(start + 10_000_000_000L));
    // The language total's step has not run yet, but the stage after it is done: so is it.
    StageTallies.of("t-embedded").done(40);
    assertEquals("[   15s] running: selected running 15s   done: read 100, in language 40, embedded 40", reader.line(start + 15_000_000_000L));
  }

  @Test
  void aStageInferredDoneWithNothingCountedYetShowsItsLabelAlone() {
    StageTallies.of("t-read").done(100);
    StageTallies.of("t-embedded").add(40);
    StageTallies.of("t-embedded").done(40);
    assertEquals("[    5s] running: selected running 5s   done: read 100, in language, embedded 40", reader.line(start + 5_000_000_000L));
  }
}
