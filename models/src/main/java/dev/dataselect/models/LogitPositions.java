package dev.dataselect.models;

import dev.dataselect.models.ProtoWire.Field;
import dev.dataselect.models.ProtoWire.Writer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Logits only where they are read: rewrites a causal LM's ONNX graph so that its LM head (the
 * projection to the vocabulary) runs at the positions the caller names, not at every position.
 *
 * <p>A decoder-only export computes {@code logits} of shape {@code [rows, width, vocabulary]};
 * ASK-LLM reads one row of it per document (the last real position), so for a 256,000-entry
 * vocabulary a batch of 8 documents of 512 tokens makes 4 GB of floats to read 8 rows. The
 * rewritten graph takes one more input, {@value #INPUT} of shape {@code [rows, k]} (int64, the
 * columns to keep in each row), gathers the final hidden states there ({@code GatherND} with {@code
 * batch_dims=1}) just before the head, and returns {@code logits} of shape {@code [rows, k,
 * vocabulary]}. With {@code k = 1} that is ASK-LLM's scored position; the perplexity baseline asks
 * for every position but the last.
 *
 * <p>The head is found by walking back from the {@code logits} output through per-position
 * element-wise nodes (Identity, Cast, Tanh and the like, or Add/Sub/Mul/Div/Pow against a constant,
 * as Gemma's logit soft-capping) to a {@code MatMul} (or {@code MatMulNBits}) by a constant weight.
 * Any other shape of graph is left alone and {@link Result#message()} says why, so the caller can
 * fall back to full logits. An export that already takes {@value #INPUT} is accepted as it is.
 */
public final class LogitPositions {
  /** The graph input naming, per row, the positions whose logits are computed. */
  public static final String INPUT = "logit_positions";

  private static final String LOGITS = "logits";
  private static final Set<String> UNARY =
      Set.of(
          "Identity", "Cast", "Tanh", "Sigmoid", "Relu", "Neg", "Abs", "Erf", "Sqrt", "Softplus");
  private static final Set<String> BINARY = Set.of("Add", "Sub", "Mul", "Div", "Pow");
  private static final Set<String> HEADS = Set.of("MatMul", "MatMulNBits");
  private static final int MAX_PATH = 16;
  // ONNX field numbers (onnx.proto).
  private static final int MODEL_GRAPH = 7;
  private static final int MODEL_OPSET = 8;
  private static final int GRAPH_NODE = 1;
  private static final int GRAPH_INITIALIZER = 5;
  private static final int GRAPH_INPUT = 11;
  private static final int GRAPH_OUTPUT = 12;
  private static final int GRAPH_VALUE_INFO = 13;
  private static final int NODE_INPUT = 1;
  private static final int NODE_OUTPUT = 2;
  private static final int NODE_NAME = 3;
  private static final int NODE_OP = 4;
  private static final int NODE_ATTRIBUTE = 5;
  private static final int NODE_DOMAIN = 7;
  private static final int TENSOR_INT64 = 7;

  private LogitPositions() {}

  /**
   * The outcome of {@link #rewrite}: the model to load (rewritten, or the input unchanged), whether
   * it takes {@value #INPUT}, and a sentence saying what was done or why not.
   */
  public record Result(byte[] model, boolean available, String message) {}

  /** Rewrites {@code model} (ONNX protobuf bytes) to compute logits at named positions only. */
  public static Result rewrite(byte[] model) {
    try {
      return rewriteOrExplain(model);
    } catch (IllegalArgumentException | ArithmeticException e) {
      return new Result(
          model, false, "the model could not be parsed for the rewrite: " + e.getMessage());
    }
  }

  private record Node(
      Field field, List<Field> fields, String op, List<String> inputs, List<String> outputs) {}

  private static Result rewriteOrExplain(byte[] model) {
    List<Field> modelFields = ProtoWire.parse(model, 0, model.length);
    Field graphField = null;
    long opset = -1;
    for (Field f : modelFields) {
      if (f.number() == MODEL_GRAPH) {
        graphField = f;
      } else if (f.number() == MODEL_OPSET) {
        List<Field> set = f.message();
        String domain = ProtoWire.string(set, 1);
        if (domain.isEmpty() || domain.equals("ai.onnx")) {
          opset = ProtoWire.varints(set, 2).stream().findFirst().orElse(-1L);
        }
      }
    }
    if (graphField == null) {
      return unchanged(model, "the file holds no graph");
    }
    List<Field> graph = graphField.message();
    Set<String> constants = new HashSet<>();
    Set<String> graphInputs = new HashSet<>();
    List<String> graphOutputs = new ArrayList<>();
    List<Node> nodes = new ArrayList<>();
    for (Field f : graph) {
      switch (f.number()) {
        case GRAPH_INITIALIZER -> constants.add(ProtoWire.string(f.message(), 8));
        case GRAPH_INPUT -> graphInputs.add(ProtoWire.string(f.message(), 1));
        case GRAPH_OUTPUT -> graphOutputs.add(ProtoWire.string(f.message(), 1));
        case GRAPH_NODE -> {
          List<Field> n = f.message();
          nodes.add(
              new Node(
                  f,
                  n,
                  ProtoWire.string(n, NODE_OP),
                  ProtoWire.strings(n, NODE_INPUT),
                  ProtoWire.strings(n, NODE_OUTPUT)));
        }
        default -> {}
      }
    }
    if (graphInputs.contains(INPUT)) {
      return new Result(model, true, "the export already takes " + INPUT);
    }
    if (!graphOutputs.contains(LOGITS)) {
      return unchanged(
          model, "the graph has no output '" + LOGITS + "' (outputs: " + graphOutputs + ")");
    }
    if (opset < 12) {
      return unchanged(
          model, "the graph's opset " + opset + " predates GatherND's batch_dims (12)");
    }
    Map<String, Node> producers = new HashMap<>();
    Map<String, Integer> consumers = new HashMap<>();
    for (Node n : nodes) {
      boolean constant =
          n.op().equals("Constant")
              || (!n.inputs().isEmpty()
                  && n.inputs().stream().allMatch(i -> i.isEmpty() || constants.contains(i))
                  && !n.op().startsWith("Random")
                  && !hasGraphAttribute(n));
      for (String o : n.outputs()) {
        producers.put(o, n);
        if (constant) {
          constants.add(o);
        }
      }
      for (String i : n.inputs()) {
        consumers.merge(i, 1, Integer::sum);
      }
    }
    // Walk back from the logits to the head.
    Set<String> pathTensors = new HashSet<>();
    String tensor = LOGITS;
    Node head = null;
    for (int step = 0; step < MAX_PATH && head == null; step++) {
      Node n = producers.get(tensor);
      if (n == null) {
        return unchanged(model, "'" + tensor + "' is not computed by a node");
      }
      if (n.outputs().size() != 1) {
        return unchanged(model, "node " + describe(n) + " before the logits has several outputs");
      }
      pathTensors.add(tensor);
      int uses = consumers.getOrDefault(tensor, 0);
      if (uses > 1
          || (uses == 1 && tensor.equals(LOGITS))
          || (!tensor.equals(LOGITS) && graphOutputs.contains(tensor))) {
        return unchanged(
            model, "'" + tensor + "' between the head and the logits is also used elsewhere");
      }
      List<String> variable =
          n.inputs().stream().filter(i -> !i.isEmpty() && !constants.contains(i)).toList();
      if (HEADS.contains(n.op())) {
        if (n.inputs().size() < 2
            || !constants.contains(n.inputs().get(1))
            || constants.contains(n.inputs().get(0))) {
          return unchanged(
              model,
              "the head " + describe(n) + " does not multiply hidden states by a constant weight");
        }
        head = n;
      } else if (UNARY.contains(n.op())
          && variable.size() == 1
          && variable.get(0).equals(n.inputs().get(0))) {
        tensor = variable.get(0);
      } else if (BINARY.contains(n.op()) && variable.size() == 1 && n.inputs().size() == 2) {
        tensor = variable.get(0);
      } else {
        return unchanged(
            model,
            "node "
                + describe(n)
                + " between the head and the logits is not a per-position element-wise step"
                + " (expected MatMul by a weight, then Identity, Cast, Tanh, or Add/Sub/Mul/Div/Pow"
                + " by a constant)");
      }
    }
    if (head == null) {
      return unchanged(
          model, "no LM head (MatMul by a weight) within " + MAX_PATH + " nodes of the logits");
    }
    String hidden = head.inputs().get(0);
    String indices = INPUT + "_indices";
    String gathered = INPUT + "_hidden";
    List<Writer> added = new ArrayList<>();
    if (opset >= 13) {
      String axes = INPUT + "_axes";
      added.add(node("Unsqueeze", indices, List.of(INPUT, axes)));
      Writer axesTensor =
          new Writer().varint(1, 1).varint(2, TENSOR_INT64).varint(7, 2).string(8, axes);
      return finish(
          model,
          modelFields,
          graph,
          head,
          hidden,
          gathered,
          indices,
          pathTensors,
          added,
          axesTensor);
    }
    Writer unsqueeze = node("Unsqueeze", indices, List.of(INPUT));
    unsqueeze.message(NODE_ATTRIBUTE, new Writer().string(1, "axes").varint(8, 2).varint(20, 7));
    added.add(unsqueeze);
    return finish(
        model, modelFields, graph, head, hidden, gathered, indices, pathTensors, added, null);
  }

  private static Result finish(
      byte[] model,
      List<Field> modelFields,
      List<Field> graph,
      Node head,
      String hidden,
      String gathered,
      String indices,
      Set<String> pathTensors,
      List<Writer> added,
      Writer initializer) {
    Writer gather = node("GatherND", gathered, List.of(hidden, indices));
    gather.message(NODE_ATTRIBUTE, new Writer().string(1, "batch_dims").varint(3, 1).varint(20, 2));
    added.add(gather);
    Writer g = new Writer(model.length + 1024);
    for (Field f : graph) {
      if (f.number() == GRAPH_NODE && f.start() == head.field().start()) {
        for (Writer w : added) {
          g.message(GRAPH_NODE, w);
        }
        g.message(GRAPH_NODE, withFirstInput(head, gathered));
      } else if (f.number() == GRAPH_VALUE_INFO
          && pathTensors.contains(ProtoWire.string(f.message(), 1))) {
        // Shape hints of the tensors whose position axis changes: dropped, ONNX Runtime infers
        // them.
        continue;
      } else if (f.number() == GRAPH_OUTPUT && ProtoWire.string(f.message(), 1).equals(LOGITS)) {
        g.message(GRAPH_OUTPUT, logitsOutput(f.message()));
      } else {
        g.copy(f);
      }
    }
    Writer shape =
        new Writer()
            .message(1, new Writer().string(2, "batch_size"))
            .message(1, new Writer().string(2, INPUT));
    Writer input =
        new Writer()
            .string(1, INPUT)
            .message(
                2, new Writer().message(1, new Writer().varint(1, TENSOR_INT64).message(2, shape)));
    g.message(GRAPH_INPUT, input);
    if (initializer != null) {
      g.message(GRAPH_INITIALIZER, initializer);
    }
    Writer m = new Writer(model.length + 2048);
    for (Field f : modelFields) {
      if (f.number() == MODEL_GRAPH) {
        m.message(MODEL_GRAPH, g);
      } else {
        m.copy(f);
      }
    }
    String name = ProtoWire.string(head.fields(), NODE_NAME);
    return new Result(
        m.bytes(),
        true,
        "rewritten: the LM head ("
            + head.op()
            + " '"
            + name
            + "') runs at the positions in "
            + INPUT
            + " only");
  }

  private static Writer node(String op, String output, List<String> inputs) {
    Writer n = new Writer();
    for (String i : inputs) {
      n.string(NODE_INPUT, i);
    }
    return n.string(NODE_OUTPUT, output).string(NODE_NAME, output + "_node").string(NODE_OP, op);
  }

  /** {@code head} with its first input replaced. */
  private static Writer withFirstInput(Node head, String input) {
    Writer n = new Writer();
    boolean first = true;
    for (Field f : head.fields()) {
      if (f.number() == NODE_INPUT && first) {
        n.string(NODE_INPUT, input);
        first = false;
      } else {
        n.copy(f);
      }
    }
    return n;
  }

  /** The logits' value info with the position axis renamed (or no shape when it is not rank 3). */
  private static Writer logitsOutput(List<Field> valueInfo) {
    Writer v = new Writer().string(1, LOGITS);
    long elemType = 1;
    List<Field> dims = List.of();
    for (Field f : valueInfo) {
      if (f.number() == 2) {
        for (Field t : f.message()) {
          if (t.number() == 1) {
            List<Field> tensor = t.message();
            elemType = ProtoWire.varints(tensor, 1).stream().findFirst().orElse(1L);
            for (Field s : tensor) {
              if (s.number() == 2) {
                dims = s.message().stream().filter(d -> d.number() == 1).toList();
              }
            }
          }
        }
      }
    }
    Writer tensor = new Writer().varint(1, elemType);
    if (dims.size() == 3) {
      Writer shape =
          new Writer()
              .copy(dims.get(0))
              .message(1, new Writer().string(2, INPUT))
              .copy(dims.get(2));
      tensor.message(2, shape);
    }
    return v.message(2, new Writer().message(1, tensor));
  }

  private static boolean hasGraphAttribute(Node n) {
    for (Field f : n.fields()) {
      if (f.number() == NODE_ATTRIBUTE) {
        for (Field a : f.message()) {
          if (a.number() == 6 || a.number() == 11) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private static String describe(Node n) {
    String domain = ProtoWire.string(n.fields(), NODE_DOMAIN);
    return (domain.isEmpty() ? "" : domain + ".")
        + n.op()
        + " '"
        + ProtoWire.string(n.fields(), NODE_NAME)
        + "'";
  }

  private static Result unchanged(byte[] model, String why) {
    return new Result(model, false, why);
  }
}
