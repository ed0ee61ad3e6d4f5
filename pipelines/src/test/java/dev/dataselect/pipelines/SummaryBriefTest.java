package dev.dataselect.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** What bin/dataselect prints at the end of a run. */
class SummaryBriefTest {
  @Test
  void aReselectRunPrintsOneLinePerSelection() throws Exception {
    String json = "{\"selections\":{\"random-0.2\":{\"scored\":1270,\"selected\":262,\"target\":254},"
        + "\"density-0.2\":{\"scored\":1270,\"selected\":256,\"target\":254}},\"reconciles\":{\"a\":true}}";
    assertEquals("density-0.2: selected 256 of 1,270 scored (target 254)\n"
            + "random-0.2: selected 262 of 1,270 scored (target 254)\n"
            + String.format("wall 26.4 s; counts reconcile: true%n"),
        Summary.brief(new ObjectMapper().readTree(json), 26.4));
  }

  @Test
  void theMainJobPrintsSelectedAgainstTheTarget() throws Exception {
    String json = "{\"records\":100,\"documents\":100,\"selected\":20,\"target\":20,\"rejected\":80,\"reconciles\":{\"a\":true}}";
    assertEquals("selected 20 of 100 documents (target 20)\nnot selected: rejected 80\n"
            + String.format("wall 10.0 s, 10.0 documents/s; counts reconcile: true%n"),
        Summary.brief(new ObjectMapper().readTree(json), 10.0));
  }
}
