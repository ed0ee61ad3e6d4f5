package dev.dataselect.benchmarks;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.SplittableRandom;

/**
 * An encoder-decoder with the input and output names of Optimum's Flan-T5 export, sized so that
 * inference, not the pipeline around it, dominates: the encoder embeds {@code vocab} tokens in
 * {@code hidden} dimensions and runs {@code layers} dense tanh layers per token (about {@code 2 x
 * layers x hidden^2} FLOP per token); the decoder pools the encoder states over the mask, adds the
 * start token's embedding and projects to the vocabulary. Random weights, fixed seed.
 */
final class OverheadModel {
  private OverheadModel() {}

  static byte[] encoder(int vocab, int hidden, int layers) {
    Graph g = new Graph("encoder");
    g.input("input_ids", DataType.INT64, "batch", "seq");
    g.input("attention_mask", DataType.INT64, "batch", "seq");
    String x = g.op("Gather", g.floats("E", vocab, hidden, 1), "input_ids");
    for (int l = 0; l < layers; l++) {
      x = g.op("Tanh", g.op("MatMul", x, g.floats("W" + l, hidden, hidden, 2 + l)));
    }
    String mask = g.maskColumn("attention_mask");
    g.node("Mul", "last_hidden_state", x, mask);
    g.output("last_hidden_state", DataType.FLOAT, "batch", "seq", hidden);
    return g.bytes();
  }

  static byte[] decoder(int vocab, int hidden) {
    Graph g = new Graph("decoder");
    g.input("input_ids", DataType.INT64, "batch", 1);
    g.input("encoder_hidden_states", DataType.FLOAT, "batch", "enc_seq", hidden);
    g.input("encoder_attention_mask", DataType.INT64, "batch", "enc_seq");
    String m = g.maskColumn("encoder_attention_mask");
    String axis = g.longs("axis1", 1);
    String sum = g.op("ReduceSum", g.op("Mul", "encoder_hidden_states", m), axis);
    String count = g.op("Max", g.op("ReduceSum", m, axis), g.constant("one", 1f));
    String pooled =
        g.op("Add", g.op("Div", sum, count), g.op("Gather", g.floats("D", vocab, hidden, 99), "input_ids"));
    g.node("MatMul", "logits", pooled, g.floats("O", hidden, vocab, 100));
    g.output("logits", DataType.FLOAT, "batch", 1, vocab);
    return g.bytes();
  }

  /** The serialized model of {@code graph}: IR 8, the default opset 13. */
  static byte[] modelBytes(GraphProto graph) {
    return ModelProto.newBuilder()
        .setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setProducerName("dataselect-benchmarks")
        .setGraph(graph)
        .build()
        .toByteArray();
  }

  /** A few dozen lines of ONNX graph building over the protobuf classes. */
  private static final class Graph {
    private final GraphProto.Builder graph;
    private int counter;

    Graph(String name) {
      graph = GraphProto.newBuilder().setName(name);
    }

    void input(String name, DataType type, Object... dims) {
      graph.addInput(valueInfo(name, type, dims));
    }

    void output(String name, DataType type, Object... dims) {
      graph.addOutput(valueInfo(name, type, dims));
    }

    private static ValueInfoProto valueInfo(String name, DataType type, Object... dims) {
      TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
      for (Object d : dims) {
        TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
        if (d instanceof Number) {
          dim.setDimValue(((Number) d).longValue());
        } else {
          dim.setDimParam(d.toString());
        }
        shape.addDim(dim);
      }
      return ValueInfoProto.newBuilder()
          .setName(name)
          .setType(
              TypeProto.newBuilder()
                  .setTensorType(
                      TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape)))
          .build();
    }

    /** A [rows, cols] initializer of uniform weights scaled by 1/sqrt(rows). */
    String floats(String name, int rows, int cols, long seed) {
      SplittableRandom r = new SplittableRandom(seed);
      float scale = (float) (1.0 / Math.sqrt(rows));
      TensorProto.Builder t =
          TensorProto.newBuilder().setName(name).setDataType(DataType.FLOAT_VALUE).addDims(rows).addDims(cols);
      for (int i = 0; i < rows * cols; i++) {
        t.addFloatData((float) (r.nextDouble() * 2 - 1) * scale);
      }
      graph.addInitializer(t);
      return name;
    }

    String constant(String name, float value) {
      graph.addInitializer(
          TensorProto.newBuilder().setName(name).setDataType(DataType.FLOAT_VALUE).addFloatData(value));
      return name;
    }

    String longs(String name, long value) {
      graph.addInitializer(
          TensorProto.newBuilder()
              .setName(name)
              .setDataType(DataType.INT64_VALUE)
              .addDims(1)
              .addInt64Data(value));
      return name;
    }

    /** mask [b, s] int64 -> [b, s, 1] float. */
    String maskColumn(String mask) {
      NodeProto.Builder cast = NodeProto.newBuilder().setOpType("Cast").addInput(mask);
      String f = "mask_f" + counter++;
      cast.addOutput(f).setName(f + "_node");
      cast.addAttribute(
          AttributeProto.newBuilder()
              .setName("to")
              .setType(AttributeProto.AttributeType.INT)
              .setI(DataType.FLOAT_VALUE));
      graph.addNode(cast);
      return op("Unsqueeze", f, longs("axis2_" + counter++, 2));
    }

    String op(String type, String... inputs) {
      String out = type + "_" + counter++;
      node(type, out, inputs);
      return out;
    }

    void node(String type, String output, String... inputs) {
      NodeProto.Builder n = NodeProto.newBuilder().setOpType(type).setName(output + "_node").addOutput(output);
      for (String i : inputs) {
        n.addInput(i);
      }
      graph.addNode(n);
    }

    byte[] bytes() {
      return modelBytes(graph.build());
    }
  }
}
