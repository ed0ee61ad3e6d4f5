package dev.dataselect.transforms.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The hand-written ONNX bytes, read back with the ONNX protobuf classes. */
class KernelGraphTest {
  @Test
  void paddedColumnsAreAMultipleOfSixteenWithOneSpare() {
    assertEquals(16, KernelGraph.paddedColumns(0));
    assertEquals(16, KernelGraph.paddedColumns(15));
    assertEquals(32, KernelGraph.paddedColumns(16));
    assertEquals(1008, KernelGraph.paddedColumns(1000));
  }

  @Test
  void theModelParsesAsTheDocumentedGraph() throws Exception {
    // m = 2 references of d = 3; padded to 16 columns.
    float[] r = {1, 2, 3, 4, 5, 6};
    double[] rn = {14, 77};
    ModelProto model =
        ModelProto.parseFrom(KernelGraph.model(r, rn, 2, 3, 0.5, Kernel.LAPLACIAN));
    assertEquals(8, model.getIrVersion());
    assertEquals(13, model.getOpsetImport(0).getVersion());
    GraphProto g = model.getGraph();
    assertEquals(
        List.of("Gemm", "Add", "ScatterElements", "Relu", "Sqrt", "Mul", "Exp", "ReduceSum"),
        g.getNodeList().stream().map(NodeProto::getOpType).collect(Collectors.toList()));
    assertEquals(-2f, g.getNode(0).getAttribute(0).getF());
    assertEquals(1, g.getNode(2).getAttribute(0).getI());
    assertEquals(
        List.of("Q", "QN", "EX", "BIG"),
        g.getInputList().stream().map(v -> v.getName()).collect(Collectors.toList()));
    assertEquals("n", g.getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam());
    assertEquals(3, g.getInput(0).getType().getTensorType().getShape().getDim(1).getDimValue());
    assertEquals("S", g.getOutput(0).getName());
    TensorProto rt = g.getInitializer(0);
    assertEquals("RT", rt.getName());
    assertEquals(List.of(3L, 16L), rt.getDimsList());
    float[] rtValues = floats(rt);
    assertEquals(1f, rtValues[0]); // RT[0][0] = r[0][0]
    assertEquals(4f, rtValues[1]); // RT[0][1] = r[1][0]
    assertEquals(0f, rtValues[2]); // padding
    assertEquals(6f, rtValues[2 * 16 + 1]); // RT[2][1] = r[1][2]
    float[] norms = floats(g.getInitializer(1));
    assertEquals(14f, norms[0]);
    assertEquals(77f, norms[1]);
    assertEquals(KernelGraph.FAR, norms[2]);
    assertEquals(-2f, floats(g.getInitializer(2))[0]); // -1 / h
  }

  @Test
  void rejectsAScaleOutsideFloatRange() {
    assertThrows(
        IllegalArgumentException.class,
        () -> KernelGraph.model(new float[1], new double[1], 1, 1, 1e-30, Kernel.GAUSSIAN));
  }

  private static float[] floats(TensorProto t) {
    ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[b.remaining() / 4];
    b.asFloatBuffer().get(out);
    return out;
  }
}
