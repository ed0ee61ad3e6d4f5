package dev.dataselect.pipelines;

import static com.google.common.base.Preconditions.checkArgument;

import dev.dataselect.pipelines.options.DataselectOptions;
import dev.dataselect.pipelines.options.Quality;
import dev.dataselect.pipelines.options.Sampler;

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
 * Every decision is the product's hash rule on (id, seed, scores), as in the main job.
 */
final class PickForLabelling {
  static final String JOB = "pick-for-labelling";

  private PickForLabelling() {}

  static boolean isJob(DataselectOptions o) {
    return JOB.equalsIgnoreCase(o.getJob());
  }

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
