package dev.dataselect.runners.dataflow;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.beam.runners.dataflow.options.DataflowPipelineOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Hidden;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.Validation;

/**
 * The metadata file of a Flex Template, derived from its options interface by reflection: one
 * parameter per option of this project's options interfaces (name, label, help text from
 * {@code @Description}, whether it is optional, its default, validation regexes), plus the few
 * Dataflow options a GPU job sets per launch ({@link #DATAFLOW_PARAMETERS}).
 *
 * <p>Regexes come from the option's type; {@link #RULES} refines them per option (enumerations,
 * ranges, gs:// paths). A new option needs nothing here unless its values deserve a tighter rule.
 *
 * <pre>
 * runners/dataflow/templates/update-metadata.sh           # rewrite every template's metadata file
 * runners/dataflow/templates/update-metadata.sh --check   # list differences, exit 1 if any
 * </pre>
 */
public final class TemplateMetadata {
  /** A validation rule for one option; {@code requiredOnDataflow} overrides a local default. */
  public record Rule(String regex, boolean requiredOnDataflow, List<String> values) {
    static Rule regex(String regex) {
      return new Rule(regex, false, List.of());
    }

    static Rule oneOf(List<String> values) {
      return new Rule("^(" + String.join("|", values) + ")$", false, values);
    }

    static Rule required(String regex) {
      return new Rule(regex, true, List.of());
    }
  }

  /** A Dataflow option declared as a template parameter, so a launch can set it per job. */
  public record DataflowParameter(String name, String label, String helpText, String regex) {}

  private static final String FIELD_LIST = "[^,\\s]+(,[^,\\s]+)*";
  private static final String SAMPLER = "(random|quality|density|densest|sparsest|combined)";
  private static final String RATE = "(0|1|0?\\.[0-9]+|0\\.|1\\.0*)";
  private static final String GCS_PATH = "gs://[a-z0-9][-_.a-z0-9]*[a-z0-9](/[^,]*)?";

  /** Per-option rules, by option name; every name must be an option of some template. */
  public static final Map<String, Rule> RULES = Map.ofEntries(
      Map.entry("input", Rule.required("^" + GCS_PATH + "(," + GCS_PATH + ")*$")),
      Map.entry("output", Rule.required("^" + GCS_PATH + "$")),
      Map.entry("textField", Rule.regex("^" + FIELD_LIST + "$")),
      Map.entry("idField", Rule.regex("^[^,\\s]*$")),
      Map.entry("metadataFields", Rule.regex("^(" + FIELD_LIST + ")?$")),
      Map.entry("csvHeader", Rule.regex("^(" + FIELD_LIST + ")?$")),
      Map.entry("sampler", Rule.regex("^" + SAMPLER + "(," + SAMPLER + ")*$")),
      Map.entry("filters", Rule.regex("^(\\s*(?i:gopher|c4|fineweb)\\s*(,\\s*(?i:gopher|c4|fineweb)\\s*)*)?$")),
      Map.entry("scores", Rule.regex("^(" + GCS_PATH + ")?$")),
      Map.entry("rates", Rule.regex("^(" + RATE + "(," + RATE + ")*)?$")),
      Map.entry("counts", Rule.regex("^([0-9]{1,19}(,[0-9]{1,19})*)?$")),
      Map.entry("count", Rule.regex("^[0-9]{1,19}$")),
      Map.entry("qualityExponent", Rule.regex("^[0-9]+(\\.[0-9]*)?$")),
      Map.entry("densityExponent", Rule.regex("^[0-9]+(\\.[0-9]*)?$")),
      Map.entry("rate", Rule.regex("^" + RATE + "$")),
      Map.entry("seed", Rule.regex("^-?[0-9]{1,19}$")),
      Map.entry("maxRecordBytes", Rule.regex("^[1-9][0-9]{0,9}$")));

  /** Dataflow options of a GPU job that a template launch sets (runners/dataflow/gpu-job.args). */
  public static final List<DataflowParameter> DATAFLOW_PARAMETERS = List.of(
      new DataflowParameter(
          "sdkContainerImage",
          "Worker container image",
          "The workers' container image (runners/dataflow/Dockerfile: CUDA 12 + cuDNN 9, JDK 17, Beam's Java SDK "
              + "harness, the job built with onnxruntime_gpu). Needs Runner v2, which the launcher turns on.",
          "^[a-z0-9][-a-z0-9.]*(:[0-9]+)?/[-_./a-z0-9]+(:[-_.a-zA-Z0-9]+)?(@sha256:[0-9a-f]{64})?$"),
      new DataflowParameter(
          "dataflowServiceOptions",
          "Dataflow service options",
          "Comma-separated Dataflow service options; GPUs: worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver "
              + "(with a G2 worker machine type).",
          "^[a-z_]+(=[^,]+)?(,[a-z_]+(=[^,]+)?)*$"),
      new DataflowParameter(
          "numberOfWorkerHarnessThreads",
          "Threads per worker",
          "DoFn threads per worker JVM. They share the worker's model session and GPU: 4 keeps one L4 busy without "
              + "running out of its memory (the default, hundreds, oversubscribes it).",
          "^[1-9][0-9]{0,3}$"));

  private static final ObjectMapper JSON = new ObjectMapper();

  private TemplateMetadata() {}

  /** An option of the job as the template declares it. */
  public record Option(Method getter, String name, Class<?> declaredIn) {
    public String description() {
      Description d = getter.getAnnotation(Description.class);
      return d == null ? "" : d.value();
    }

    /** The {@code @Default} value as text, or null when there is none. */
    public String defaultValue() {
      for (Annotation a : getter.getAnnotations()) {
        if (a instanceof Default.InstanceFactory) {
          return null; // computed at run time
        }
        if (a instanceof Default.Enum e) {
          return e.value().toLowerCase(Locale.ROOT); // as written on the command line
        }
        if (a.annotationType().getEnclosingClass() == Default.class) {
          try {
            Method value = a.annotationType().getMethod("value");
            Object v = value.invoke(a);
            return v instanceof Class<?> c ? c.getName() : String.valueOf(v);
          } catch (ReflectiveOperationException e) {
            return null; // @Default.InstanceFactory: computed at run time
          }
        }
      }
      return null;
    }

    public boolean requiredOnDataflow() {
      Rule rule = RULES.get(name);
      return getter.isAnnotationPresent(Validation.Required.class) || (rule != null && rule.requiredOnDataflow());
    }
  }

  /**
   * This project's options of an options interface, in the order its interfaces are declared
   * (alphabetical within one): Beam's own options (runner, temp location, ...) are not parameters.
   */
  public static List<Option> options(Class<? extends PipelineOptions> options) {
    Map<String, Option> out = new LinkedHashMap<>();
    for (Class<?> iface : ownInterfaces(options)) {
      Arrays.stream(iface.getDeclaredMethods())
          .filter(m -> m.getParameterCount() == 0 && !m.isSynthetic() && !m.isDefault())
          .filter(m -> m.getName().startsWith("get") || m.getName().startsWith("is"))
          .filter(m -> !m.isAnnotationPresent(Hidden.class) && !m.isAnnotationPresent(com.fasterxml.jackson.annotation.JsonIgnore.class))
          .filter(m -> !m.getName().equals("getJob")) // each template's launcher fixes its job
          .sorted(Comparator.comparing(Method::getName))
          .forEach(m -> {
            String bare = m.getName().substring(m.getName().startsWith("is") ? 2 : 3);
            String name = Character.toLowerCase(bare.charAt(0)) + bare.substring(1);
            out.putIfAbsent(name, new Option(m, name, iface));
          });
    }
    return new ArrayList<>(out.values());
  }

  private static List<Class<?>> ownInterfaces(Class<?> root) {
    Set<Class<?>> seen = new LinkedHashSet<>();
    collect(root, seen);
    return new ArrayList<>(seen);
  }

  private static void collect(Class<?> iface, Set<Class<?>> seen) {
    if (!iface.getPackageName().startsWith("dev.dataselect")) {
      return;
    }
    seen.add(iface);
    for (Class<?> parent : iface.getInterfaces()) {
      collect(parent, seen);
    }
  }

  /** The metadata a template should have, generated from its options interface. */
  public static ObjectNode generate(FlexTemplates.Spec spec) {
    ObjectNode root = JSON.createObjectNode();
    root.put("name", spec.name());
    root.put("description", spec.description());
    root.put("streaming", false);
    ArrayNode parameters = root.putArray("parameters");
    List<Option> options = options(spec.options());
    options.sort(Comparator.comparing((Option o) -> !o.requiredOnDataflow())); // stable: keeps interface order
    for (Option option : options) {
      parameters.add(parameter(option));
    }
    for (DataflowParameter d : DATAFLOW_PARAMETERS) {
      ObjectNode p = parameters.addObject();
      p.put("name", d.name());
      p.put("label", d.label());
      p.put("helpText", d.helpText());
      p.put("isOptional", true);
      p.putArray("regexes").add(d.regex());
    }
    return root;
  }

  private static ObjectNode parameter(Option option) {
    ObjectNode p = JSON.createObjectNode();
    p.put("name", option.name());
    p.put("label", label(option.name()));
    p.put("helpText", option.description());
    boolean required = option.requiredOnDataflow();
    p.put("isOptional", !required);
    p.putArray("regexes").add(regexFor(option));
    Rule rule = RULES.get(option.name());
    if (rule != null && !rule.values().isEmpty()) {
      ArrayNode values = p.putArray("enumOptions");
      rule.values().forEach(v -> values.addObject().put("value", v));
    }
    String defaultValue = option.defaultValue();
    if (!required && defaultValue != null) {
      p.put("defaultValue", defaultValue);
    }
    return p;
  }

  /** The option's validation regex: its rule's, else one for its type. */
  public static String regexFor(Option option) {
    Rule rule = RULES.get(option.name());
    if (rule != null) {
      return rule.regex();
    }
    Class<?> type = option.getter().getReturnType();
    if (type == Boolean.class || type == boolean.class) {
      return "^(true|false)$";
    }
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
      return "^[0-9]{1,18}$";
    }
    if (type == Double.class || type == double.class || type == Float.class || type == float.class) {
      return "^[0-9]+(\\.[0-9]*)?([eE][-+]?[0-9]+)?$";
    }
    if (type.isEnum()) { // as written on the command line: lower case (the parser ignores case)
      return "^(" + String.join("|", Arrays.stream(type.getEnumConstants()).map(c -> ((Enum<?>) c).name().toLowerCase(Locale.ROOT)).toList()) + ")$";
    }
    return "^[^\\n\\r]*$";
  }

  static String label(String name) {
    String spaced = name.replaceAll("([a-z0-9])([A-Z])", "$1 $2").toLowerCase(Locale.ROOT);
    return Character.toUpperCase(spaced.charAt(0)) + spaced.substring(1);
  }

  /**
   * How a metadata file disagrees with its options interface: parameters missing from it, stale
   * ones (no such option), help text that is not the option's description, optional flags, regexes
   * that do not compile or reject the option's own default, and any other difference from what
   * {@link #generate} writes. Empty when they agree.
   */
  public static List<String> problems(FlexTemplates.Spec spec, JsonNode metadata) {
    List<String> problems = new ArrayList<>();
    Map<String, JsonNode> declared = new LinkedHashMap<>();
    for (JsonNode p : metadata.path("parameters")) {
      declared.put(p.path("name").asText(), p);
    }
    Map<String, Option> options = new LinkedHashMap<>();
    options(spec.options()).forEach(o -> options.put(o.name(), o));
    Set<String> expected = new TreeSet<>(options.keySet());
    DATAFLOW_PARAMETERS.forEach(d -> expected.add(d.name()));

    Set<String> missing = new TreeSet<>(expected);
    missing.removeAll(declared.keySet());
    Set<String> stale = new TreeSet<>(declared.keySet());
    stale.removeAll(expected);
    if (!missing.isEmpty()) {
      problems.add("missing parameters (options of " + spec.options().getSimpleName() + " the metadata does not declare): " + missing);
    }
    if (!stale.isEmpty()) {
      problems.add("stale parameters (declared, but no such option): " + stale);
    }
    for (Map.Entry<String, JsonNode> e : declared.entrySet()) {
      JsonNode p = e.getValue();
      if (p.path("helpText").asText().isBlank() || p.path("label").asText().isBlank()) {
        problems.add(e.getKey() + ": no label or help text");
      }
      List<Pattern> regexes = new ArrayList<>();
      for (JsonNode r : p.path("regexes")) {
        try {
          regexes.add(Pattern.compile(r.asText()));
        } catch (PatternSyntaxException ex) {
          problems.add(e.getKey() + ": regex does not compile: " + r.asText());
        }
      }
      if (regexes.isEmpty()) {
        problems.add(e.getKey() + ": no validation regex");
      }
      Option option = options.get(e.getKey());
      if (option == null) {
        continue;
      }
      if (!p.path("helpText").asText().equals(option.description())) {
        problems.add(e.getKey() + ": help text differs from the option's @Description");
      }
      if (p.path("isOptional").asBoolean(true) == option.requiredOnDataflow()) {
        problems.add(e.getKey() + ": isOptional should be " + !option.requiredOnDataflow());
      }
      String defaultValue = option.defaultValue();
      if (!option.requiredOnDataflow() && defaultValue != null) {
        for (Pattern r : regexes) {
          if (!r.matcher(defaultValue).matches()) {
            problems.add(e.getKey() + ": regex " + r + " rejects the option's default '" + defaultValue + "'");
          }
        }
      }
    }
    if (problems.isEmpty() && !generate(spec).equals(metadata)) {
      problems.add("differs from the generated metadata (labels, enumerations, defaults or order)");
    }
    return problems;
  }

  /** Pretty-printed as the files are stored. */
  public static String toJson(JsonNode metadata) throws IOException {
    DefaultPrettyPrinter printer = new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"));
    return JSON.writer(printer).writeValueAsString(metadata) + "\n";
  }

  /**
   * {@code TemplateMetadata [--check] [ROOT]}: rewrites (or checks) every template's metadata file
   * under the repository root ROOT (default: the working directory).
   */
  public static void main(String[] args) throws IOException {
    boolean check = Arrays.asList(args).contains("--check");
    Path root = Arrays.stream(args).filter(a -> !a.startsWith("--")).findFirst().map(Path::of).orElse(Path.of("."));
    boolean clean = true;
    for (FlexTemplates.Spec spec : FlexTemplates.ALL) {
      Path file = root.resolve(spec.metadataFile());
      if (check) {
        List<String> problems = Files.exists(file)
            ? problems(spec, JSON.readTree(file.toFile()))
            : List.of("no metadata file");
        problems.forEach(p -> System.out.println(spec.metadataFile() + ": " + p));
        clean &= problems.isEmpty();
      } else {
        Files.createDirectories(file.getParent());
        Files.writeString(file, toJson(generate(spec)), StandardCharsets.UTF_8);
        System.out.println("wrote " + spec.metadataFile());
      }
    }
    if (!clean) {
      System.exit(1);
    }
  }

  /** Whether a Dataflow parameter names a real option of the Dataflow runner. */
  static boolean isDataflowOption(String name) {
    String getter = "get" + Character.toUpperCase(name.charAt(0)) + name.substring(1);
    return Arrays.stream(DataflowPipelineOptions.class.getMethods()).anyMatch(m -> m.getName().equals(getter));
  }
}
