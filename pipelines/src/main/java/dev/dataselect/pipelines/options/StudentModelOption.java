package dev.dataselect.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** The student model file: written by train-student, read by the select job's --quality=student. */
public interface StudentModelOption extends PipelineOptions {
  @Description(
      "Student model file (JSON, local or gs://). --job=train-student writes it (empty: <output>/student.json); "
          + "--quality=student reads it and scores every document from its embedding alone.")
  @Default.String("")
  String getStudentModel();

  void setStudentModel(String value);
}
