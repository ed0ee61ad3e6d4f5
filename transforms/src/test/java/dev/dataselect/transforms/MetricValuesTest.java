package dev.dataselect.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.beam.sdk.metrics.MetricKey;
import org.apache.beam.sdk.metrics.MetricName;
import org.apache.beam.sdk.metrics.MetricResult;
import org.junit.jupiter.api.Test;

class MetricValuesTest {
  private static final MetricKey KEY = MetricKey.create("Step", MetricName.named("ns", "documents"));

  @Test
  void committedValuesArePreferred() {
    MetricResult<Long> both = MetricResult.create(KEY, 10L, 12L); // a retried bundle counted twice in attempted
    assertEquals(10L, MetricValues.settled(both));
    assertEquals("committed", MetricValues.kind(both));
  }

  @Test
  void attemptedValuesWhereTheRunnerHasNoCommittedOnes() {
    MetricResult<Long> attemptedOnly = MetricResult.attempted(KEY, 12L); // getCommitted() throws
    assertEquals(12L, MetricValues.settled(attemptedOnly));
    assertEquals("attempted", MetricValues.kind(attemptedOnly));
  }
}
