package dev.dataselect.models;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/** Small helpers for building ONNX Runtime inputs and reading outputs. */
public final class OnnxTensors {
  private OnnxTensors() {}

  /** An int64 tensor of {@code shape} over {@code values}. */
  public static OnnxTensor longs(long[] values, long... shape) throws OrtException {
    return OnnxTensor.createTensor(OnnxSessions.environment(), LongBuffer.wrap(values), shape);
  }

  /** A bool tensor of shape {@code [1]}. */
  public static OnnxTensor scalarBool(boolean value) throws OrtException {
    ByteBuffer b = ByteBuffer.allocateDirect(1).order(ByteOrder.nativeOrder());
    b.put(0, (byte) (value ? 1 : 0));
    return OnnxTensor.createTensor(
        OnnxSessions.environment(), b, new long[] {1}, OnnxJavaType.BOOL);
  }

  /**
   * An empty past-key/value tensor for input {@code info}: batch {@code batch}, sequence length 0
   * (dimension 2), the declared size of the other dimensions (1 where symbolic).
   */
  public static OnnxTensor emptyPast(String name, NodeInfo info, int batch) throws OrtException {
    if (!(info.getInfo() instanceof TensorInfo)) {
      throw new ModelException("Input " + name + " is not a tensor: " + info);
    }
    TensorInfo t = (TensorInfo) info.getInfo();
    long[] declared = t.getShape();
    if (declared.length != 4) {
      throw new ModelException(
          "Past input " + name + " has rank " + declared.length + ", expected 4: " + t);
    }
    long[] shape = new long[4];
    for (int i = 0; i < 4; i++) {
      shape[i] = declared[i] > 0 ? declared[i] : 1;
    }
    shape[0] = batch;
    shape[2] = 0;
    switch (t.type) {
      case FLOAT:
        return OnnxTensor.createTensor(OnnxSessions.environment(), FloatBuffer.allocate(0), shape);
      case FLOAT16:
      case BFLOAT16:
        return OnnxTensor.createTensor(
            OnnxSessions.environment(), ShortBuffer.allocate(0), shape, t.type);
      default:
        throw new ModelException("Past input " + name + " has unsupported type " + t.type);
    }
  }

  /** The float output {@code name} of {@code result}. */
  public static OnnxTensor output(OrtSession.Result result, String name) {
    OnnxValue v =
        result
            .get(name)
            .orElseThrow(() -> new ModelException("The model returned no output '" + name + "'"));
    if (!(v instanceof OnnxTensor)) {
      throw new ModelException("Output '" + name + "' is not a tensor");
    }
    OnnxTensor t = (OnnxTensor) v;
    if (t.getInfo().type != OnnxJavaType.FLOAT) {
      throw new ModelException(
          "Output '" + name + "' has type " + t.getInfo().type + "; only float32 is supported");
    }
    return t;
  }

  /** Input name to info, in declaration order. */
  public static Map<String, NodeInfo> inputs(OrtSession session) {
    try {
      return new LinkedHashMap<>(session.getInputInfo());
    } catch (OrtException e) {
      throw new ModelException("Cannot read the inputs of a session: " + e.getMessage(), e);
    }
  }

  /** Output name to info, in declaration order. */
  public static Map<String, NodeInfo> outputs(OrtSession session) {
    try {
      return new LinkedHashMap<>(session.getOutputInfo());
    } catch (OrtException e) {
      throw new ModelException("Cannot read the outputs of a session: " + e.getMessage(), e);
    }
  }

  /** Closes every tensor in {@code tensors}. */
  public static void closeAll(Map<String, ? extends OnnxTensor> tensors) {
    for (OnnxTensor t : tensors.values()) {
      t.close();
    }
  }
}
