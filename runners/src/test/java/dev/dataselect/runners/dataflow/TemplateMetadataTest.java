package dev.dataselect.runners.dataflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dataselect.pipelines.options.DataselectOptions;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every Flex Template's metadata file agrees with its options interface: every option is a
 * parameter with its description as help text and a regex that accepts its default, and no
 * parameter is stale. When an option changes, run runners/dataflow/templates/update-metadata.sh.
 */
class TemplateMetadataTest {
  private static final Path ROOT = Path.of(System.getProperty("dataselect.runnersDir", ".")).toAbsolutePath().getParent();
  private static final ObjectMapper JSON = new ObjectMapper();

  static Stream<FlexTemplates.Spec> templates() {
    return FlexTemplates.ALL.stream();
  }

  private static JsonNode stored(FlexTemplates.Spec spec) throws IOException {
    return JSON.readTree(ROOT.resolve(spec.metadataFile()).toFile());
  }

  @ParameterizedTest
  @MethodSource("templates")
  void metadataFileAgreesWithTheOptionsInterface(FlexTemplates.Spec spec) throws IOException {
    assertEquals(List.of(), TemplateMetadata.problems(spec, stored(spec)),
        spec.metadataFile() + " disagrees with " + spec.options().getSimpleName()
            + ": run runners/dataflow/templates/update-metadata.sh");
  }

  /** The same check, written out against the interface itself rather than through the generator. */
  @ParameterizedTest
  @MethodSource("templates")
  void everyDescribedOptionIsAParameterAndNothingElseIs(FlexTemplates.Spec spec) throws IOException {
    Set<String> options = new TreeSet<>();
    for (Method m : spec.options().getMethods()) {
      if (m.getName().startsWith("get") && m.isAnnotationPresent(Description.class)
          && m.getDeclaringClass().getPackageName().startsWith("dev.dataselect")
          && !m.getName().equals("getJob")) { // each template's launcher fixes its job
        options.add(Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4));
      }
    }
    assertTrue(options.size() >= 10, "the job's options: " + options);
    TemplateMetadata.DATAFLOW_PARAMETERS.forEach(d -> options.add(d.name()));
    Set<String> declared = new TreeSet<>();
    stored(spec).path("parameters").forEach(p -> declared.add(p.path("name").asText()));
    assertEquals(options, declared);
  }

  @ParameterizedTest
  @MethodSource("templates")
  void launcherIsAMainThatTheImageRuns(FlexTemplates.Spec spec) throws Exception {
    Method main = spec.launcher().getMethod("main", String[].class);
    assertTrue(Modifier.isStatic(main.getModifiers()));
    String dockerfile = Files.readString(ROOT.resolve("runners/dataflow/Dockerfile"));
    Matcher m = Pattern.compile("ARG MAIN_CLASS=(\\S+)").matcher(dockerfile);
    assertTrue(m.find(), "the Dockerfile declares ARG MAIN_CLASS");
    if (spec == FlexTemplates.DATASELECT) {
      assertEquals(spec.launcher().getName(), m.group(1), "the image's default launcher");
    }
  }

  /** The gcloud, Airflow and Argo examples pass only parameters the template declares, and the required ones. */
  @Test
  void launchExamplesUseDeclaredParameters() throws IOException {
    Set<String> declared = new TreeSet<>();
    Set<String> required = new TreeSet<>();
    stored(FlexTemplates.DATASELECT).path("parameters").forEach(p -> {
      declared.add(p.path("name").asText());
      if (!p.path("isOptional").asBoolean()) {
        required.add(p.path("name").asText());
      }
    });
    Path launch = ROOT.resolve("runners/dataflow/templates/launch");
    Map<String, Pattern> examples = Map.of(
        "gcloud-run.sh", Pattern.compile("--parameters=([a-z][A-Za-z]*)="),
        "argo-workflow.yaml", Pattern.compile("--parameters=([a-z][A-Za-z]*)="),
        "airflow_dataselect.py", Pattern.compile("^ {20}\"([A-Za-z]+)\": ", Pattern.MULTILINE));
    for (Map.Entry<String, Pattern> e : examples.entrySet()) {
      Set<String> used = new TreeSet<>();
      String text = Files.readString(launch.resolve(e.getKey()));
      if (e.getKey().endsWith(".py")) { // the launchParameter's "parameters" dict, not its "environment"
        text = text.substring(text.indexOf("\"parameters\": {"), text.indexOf("\"environment\": {"));
      }
      Matcher m = e.getValue().matcher(text);
      while (m.find()) {
        used.add(m.group(1));
      }
      Set<String> unknown = new TreeSet<>(used);
      unknown.removeAll(declared);
      assertEquals(Set.of(), unknown, e.getKey() + " passes parameters the template does not declare");
      assertTrue(used.containsAll(required), e.getKey() + " passes every required parameter " + required + ": " + used);
    }
  }

  @Test
  void dataflowParametersAreOptionsOfTheDataflowRunner() {
    for (TemplateMetadata.DataflowParameter d : TemplateMetadata.DATAFLOW_PARAMETERS) {
      assertTrue(TemplateMetadata.isDataflowOption(d.name()), d.name() + " is not a DataflowPipelineOptions option");
    }
  }

  @Test
  void everyRuleNamesAnOption() {
    Set<String> names = new TreeSet<>();
    FlexTemplates.ALL.forEach(s -> TemplateMetadata.options(s.options()).forEach(o -> names.add(o.name())));
    Set<String> stale = new TreeSet<>(TemplateMetadata.RULES.keySet());
    stale.removeAll(names);
    assertEquals(Set.of(), stale, "TemplateMetadata.RULES names options that no template has");
  }

  @Test
  void regexesAcceptGoodValuesAndRejectBadOnes() {
    FlexTemplates.Spec spec = FlexTemplates.DATASELECT;
    assertAccepts(spec, "input", List.of("gs://corpus/c4/en/*.json.gz", "gs://a-b/x.parquet,gs://c_d/y/"), List.of("demo", "/local/file", "gs://", ""));
    assertAccepts(spec, "output", List.of("gs://outputs/run-1"), List.of("out", "gs://a,gs://b"));
    assertAccepts(spec, "rate", List.of("0", "1", "0.2", ".5", "1.0"), List.of("1.5", "-0.1", "abc", "2"));
    assertAccepts(spec, "format", List.of("auto", "jsonl", "tfrecord", "text_lines"), List.of("JSON", "xml"));
    assertAccepts(spec, "dedup", List.of("true", "false"), List.of("yes", ""));
    assertAccepts(spec, "seed", List.of("42", "-7"), List.of("4.2", "x"));
    assertAccepts(spec, "metadataFields", List.of("", "url", "url,language"), List.of("url, language", ","));
    assertAccepts(spec, "limit", List.of("0", "2000"), List.of("-1", "1e3"));
    assertAccepts(spec, "dataflowServiceOptions", List.of("worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver"), List.of("", "Worker Accelerator"));
    assertAccepts(spec, "sdkContainerImage", List.of("us-central1-docker.pkg.dev/p/dataselect/dataselect:0.1.0"), List.of("not an image"));
  }

  private static void assertAccepts(FlexTemplates.Spec spec, String name, List<String> good, List<String> bad) {
    JsonNode p = null;
    for (JsonNode candidate : TemplateMetadata.generate(spec).path("parameters")) {
      if (candidate.path("name").asText().equals(name)) {
        p = candidate;
      }
    }
    assertTrue(p != null, name + " is a parameter");
    Pattern regex = Pattern.compile(p.path("regexes").get(0).asText());
    good.forEach(v -> assertTrue(regex.matcher(v).matches(), name + " rejects '" + v + "' (" + regex + ")"));
    bad.forEach(v -> assertTrue(!regex.matcher(v).matches(), name + " accepts '" + v + "' (" + regex + ")"));
  }

  /** The check is not vacuous: a missing, a stale and a redescribed parameter are each reported. */
  @Test
  void reportsMissingStaleAndChangedParameters() throws IOException {
    FlexTemplates.Spec spec = FlexTemplates.DATASELECT;
    ObjectNode metadata = (ObjectNode) stored(spec).deepCopy();
    ArrayNode parameters = (ArrayNode) metadata.get("parameters");
    List<Integer> drop = new ArrayList<>();
    for (int i = 0; i < parameters.size(); i++) {
      String name = parameters.get(i).path("name").asText();
      if (name.equals("rate")) {
        drop.add(i);
      }
      if (name.equals("seed")) {
        ((ObjectNode) parameters.get(i)).put("helpText", "an older description");
      }
      if (name.equals("dedup")) {
        ((ObjectNode) parameters.get(i)).putArray("regexes").add("^(yes|no)$");
      }
    }
    drop.forEach(parameters::remove);
    parameters.addObject().put("name", "bandwidth").put("label", "Bandwidth").put("helpText", "gone").putArray("regexes").add(".*");

    List<String> problems = TemplateMetadata.problems(spec, metadata);
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("missing parameters") && p.contains("rate")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("stale parameters") && p.contains("bandwidth")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("seed: help text")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("dedup: regex") && p.contains("'true'")), problems.toString());
  }

  /** A new option in the interface is reported until the metadata declares it. */
  @Test
  void anOptionAddedToTheInterfaceIsMissingUntilRegenerated() throws IOException {
    FlexTemplates.Spec grown = new FlexTemplates.Spec("grown", "test", GrownOptions.class, DataselectFlexTemplate.class,
        FlexTemplates.DATASELECT.metadataFile());
    List<String> problems = TemplateMetadata.problems(grown, stored(FlexTemplates.DATASELECT));
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("missing parameters") && p.contains("futureOption")), problems.toString());
    assertEquals(List.of(), TemplateMetadata.problems(grown, TemplateMetadata.generate(grown)));
  }

  /** The main job's options plus one an engineer might add. */
  public interface GrownOptions extends DataselectOptions, PipelineOptions {
    @Description("An option an engineer might add later.")
    @org.apache.beam.sdk.options.Default.String("")
    String getFutureOption();

    void setFutureOption(String value);
  }
}
