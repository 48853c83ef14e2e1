package io.stockhold.chaos;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Every operation the chaos clients made, one JSON object a line ({@code history.jsonl}): what was
 * asked, of which node, under which idempotency key, when the call went out and when the answer
 * came, and the outcome. The checks read it back and hold the journal, the read model and the ERP
 * stream against it.
 */
public final class History implements AutoCloseable {

  /** What came of an operation. */
  public enum Outcome {
    /** The node said yes (2xx). */
    OK,
    /** The node said no and decided nothing (409, 404, 422): the request is not to be found. */
    REFUSED,
    /**
     * No answer that decides: a timeout, a dropped connection, a 5xx, after every retry with the
     * same idempotency key. It may or may not have happened; the checks find out which.
     */
    UNKNOWN
  }

  /**
   * One operation. {@code kind}: hold (one line), cart (several lines), commit, release, extend,
   * adjust, read. {@code reservationId}: the one a hold or cart created, or the one a commit,
   * release or extend acted on. {@code lines}: what a hold or cart asked for, "location/sku" to
   * units; {@code quantity}: an adjustment's delta. {@code node}: 1–3, the node of the last
   * attempt. {@code status}: the last HTTP status, 0 when there was none.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Operation(
      long op,
      String kind,
      int node,
      String key,
      String principal,
      String reservationId,
      List<Line> lines,
      Long quantity,
      Instant callAt,
      Instant answerAt,
      Outcome outcome,
      int status,
      int attempts,
      String detail) {}

  /** A line of a hold or cart, or the item an adjustment or read was for. */
  public record Line(String location, String sku, long quantity) {
    public String item() {
      return location + "/" + sku;
    }
  }

  static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .registerModule(new Jdk8Module())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final BufferedWriter out;

  private History(BufferedWriter out) {
    this.out = out;
  }

  public static History create(Path file) throws IOException {
    return new History(Files.newBufferedWriter(file, StandardCharsets.UTF_8));
  }

  /** Appends one operation; called by many client threads at once. */
  public synchronized void record(Operation op) {
    try {
      out.write(JSON.writeValueAsString(op));
      out.write('\n');
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the history", e);
    }
  }

  public static List<Operation> read(Path file) throws IOException {
    List<Operation> ops = new ArrayList<>();
    try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
      for (String line : (Iterable<String>) lines::iterator) {
        if (!line.isBlank()) ops.add(JSON.readValue(line, Operation.class));
      }
    }
    return ops;
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
  }
}
