package dev.dataselect.transforms.io;

import java.io.IOException;
import org.apache.beam.sdk.io.FileIO;

/**
 * Streams the records of one file into a {@link RecordSink}, never holding the whole file in
 * memory. An {@link IOException} (or a parser's unchecked exception) ends the file: the caller turns
 * it into a {@code corrupt_file} dead letter after the records already delivered.
 */
interface FormatReader {
  void read(FileIO.ReadableFile file, ReadCorpus.Settings settings, RecordSink sink) throws IOException;
}
