package dev.dataselect.runners.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.cluster.Centroids;
import dev.dataselect.transforms.cluster.KMeans;
import dev.dataselect.transforms.cluster.KMeansTest;
import dev.dataselect.transforms.testing.TestPipelines;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.junit.jupiter.api.Test;

/**
 * The same k-means on the Flink runner (in process, parallelism 2: other bundles, another combine
 * order) and on the DirectRunner gives bit-identical centroids: the sums are fixed point and each
 * row's similarities do not depend on its batch.
 */
class KMeansOnFlinkTest {
  private static final Map<String, Centroids> RESULTS = new ConcurrentHashMap<>();

  @Test
  void theSameSeedGivesTheSameCentroidsOnFlinkAndOnTheDirectRunner() {
    List<Embedding> points = KMeansTest.planted(7, 40, 16, 31);
    // Fewer clusters than planted: the centroids depend on the seeding and the sums, not only on the data.
    KMeans kmeans = KMeans.of(5).withSeed(9).withMaxIterations(3).withTolerance(0);

    Pipeline direct = TestPipelines.create();
    direct.apply(Create.of(points)).apply(kmeans).centroids().apply(ParDo.of(new Keep("direct")));
    TestPipelines.run(direct);

    Pipeline flink = Pipeline.create(PipelineOptionsFactory.fromArgs(
        "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2").create());
    flink.apply(Create.of(points)).apply(kmeans).centroids().apply(ParDo.of(new Keep("flink")));
    flink.run().waitUntilFinish(org.joda.time.Duration.standardMinutes(5));

    Centroids a = RESULTS.get("direct");
    Centroids b = RESULTS.get("flink");
    assertEquals(5, a.k());
    assertEquals(3, a.iteration());
    assertEquals(a, b);
  }

  private static final class Keep extends DoFn<Centroids, Void> {
    private final String name;

    Keep(String name) {
      this.name = name;
    }

    @ProcessElement
    public void process(@Element Centroids c) {
      RESULTS.put(name, c);
    }
  }
}
