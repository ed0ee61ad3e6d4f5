package dev.dataselect.pipelines;

import static com.google.common.base.Preconditions.checkArgument;

import dev.dataselect.pipelines.options.DataselectOptions;
import dev.dataselect.pipelines.options.Quality;
import dev.dataselect.pipelines.options.Sampler;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.JoinById;
import dev.dataselect.transforms.inference.ReadScores;
import dev.dataselect.transforms.io.ReadCorpus;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * {@code --job=pick-for-labelling --count=N}: the main job's graph, choosing the N documents (in
 * expectation) whose labels would teach the current student most, as JSONL under {@code
 * <output>/selected/} ready for ASK-LLM scoring or for people.
 *
 * <ul>
 *   <li>With {@code --studentModel}: the combined sampler on the student's uncertainty ({@link
 *       dev.dataselect.transforms.student.StudentModel#uncertainty}) in place of its score: keep
 *       with {@code p = min(1, c u^alpha / d^beta)}, so unsure documents are favoured and dense
 *       regions (near-duplicates, one topic repeated) do not take the whole budget.
 *   <li>Without one: a coverage sample ({@code --sampler=density}), the seed set of the loop.
 * </ul>
 *
 * Every decision is the product's hash rule on (id, seed, scores), as in the main job. The documents
 * the student already learnt from are not picked again: the ids of its teacher (the labels file,
 * read with this run's corpus options, or the scores folder, as the model file records them) are
 * left out by a join and counted under {@code filtered} as {@code filters.alreadyLabelled}.
 */
final class PickForLabelling {
  static final String JOB = "pick-for-labelling";

  private PickForLabelling() {}

  static boolean isJob(DataselectOptions o) {
    return JOB.equalsIgnoreCase(o.getJob());
  }

  /** The documents whose id the student's teacher did not label or score; the rest counted as filtered. */
  static PCollection<Document> excludeLabelled(PCollection<Document> docs, SelectPlan plan, JobCounts counts) {
    if (!isJob(plan.options) || plan.student == null) {
      return docs;
    }
    Map<String, String> teacher = plan.student.teacher();
    String source = teacher.getOrDefault("source", "");
    if (source.isEmpty()) {
      return docs;
    }
    Pipeline p = docs.getPipeline();
    PCollection<DocumentScore> labelled = "labels".equals(teacher.get("kind"))
        ? p.apply("ReadLabelledIds", SelectJob.readCorpus(plan.options, SelectJob.inputPatterns(source))).get(ReadCorpus.DOCUMENTS)
            .apply("LabelledIds", MapElements.into(TypeDescriptor.of(DocumentScore.class)).via(d -> DocumentScore.of(d.id(), 1)))
        : p.apply("ReadScoredIds", ReadScores.from(source));
    PCollectionTuple split = docs
        .apply("JoinLabelled", JoinById.ofScores(Document::id, labelled).withShards(plan.joinShards).withOneLeftPerId())
        .apply("ExcludeLabelled", ParDo.of(new DoFn<JoinById.Joined<Document, Double>, Document>() {
          @ProcessElement
          public void process(@Element JoinById.Joined<Document, Double> j, MultiOutputReceiver out) {
            if (j.left() != null) {
              out.get(j.rights().isEmpty() ? UNLABELLED : LABELLED).output(j.left());
            }
          }
        }).withOutputTags(UNLABELLED, TupleTagList.of(LABELLED)));
    PCollection<Document> already = split.get(LABELLED).setCoder(Document.DocumentCoder.of());
    counts.count(already, "filtered");
    counts.count(already, "filters.alreadyLabelled");
    return split.get(UNLABELLED).setCoder(Document.DocumentCoder.of());
  }

  private static final TupleTag<Document> UNLABELLED = new TupleTag<>("unlabelled") {};
  private static final TupleTag<Document> LABELLED = new TupleTag<>("labelled") {};

  /** Sets the sampler and quality the job picks with; refuses a sampler of the user's other than these. */
  static DataselectOptions configure(DataselectOptions o) {
    checkArgument(o.getCount() > 0, "--job=%s needs --count=N: how many documents to pick for labelling", JOB);
    boolean student = !o.getStudentModel().isEmpty();
    checkArgument(o.getSampler() == Sampler.DENSITY || o.getSampler() == Sampler.COMBINED,
        "--job=%s chooses its own sampler (combined on the student's uncertainty, or density without --studentModel); drop --sampler=%s",
        JOB, o.getSampler().label());
    checkArgument(o.getQuality() == Quality.NONE || o.getQuality() == Quality.STUDENT,
        "--job=%s weighs the student's uncertainty; drop --quality=%s", JOB, o.getQuality().label());
    o.setSampler(student ? Sampler.COMBINED : Sampler.DENSITY);
    o.setQuality(student ? Quality.STUDENT : Quality.NONE);
    return o;
  }
}
