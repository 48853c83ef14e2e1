package io.stockhold.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code stockhold chaos --quick}: three nodes of this build, the run's own PostgreSQL and
 * RabbitMQ, every fault once, and every check passes; the report has the lines a reader (or a
 * script) looks for.
 */
class ChaosQuickIT {

  @Test
  void everyFaultOnceAndEveryCheckHolds() throws Exception {
    Assumptions.assumeTrue(OwnPostgres.unavailable() == null, OwnPostgres.unavailable());
    Assumptions.assumeTrue(OwnRabbit.unavailable() == null, OwnRabbit.unavailable());
    // Under target/, so that a failed run leaves its history and the nodes' logs to read.
    Path report = Path.of("target", "chaos-quick").toAbsolutePath();
    if (Files.exists(report)) {
      try (Stream<Path> old = Files.walk(report)) {
        old.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    long started = System.nanoTime();
    int exit;
    try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
      exit =
          ChaosRun.run(
              new ChaosRun.Settings(
                  Duration.ofMinutes(20),
                  true,
                  ChaosRun.FAULTS,
                  report,
                  null,
                  null,
                  false,
                  Path.of("target", "stockhold.jar").toAbsolutePath()),
              out);
    }
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    String console = printed.toString(StandardCharsets.UTF_8);
    String md = Files.readString(report.resolve("report.md"));
    assertEquals(0, exit, console + "\n" + md + "\n" + errors(report));
    for (String fault : ChaosRun.FAULTS) {
      assertTrue(md.lines().anyMatch(l -> l.startsWith("fault " + fault + ": injected ")), md);
    }
    for (int n = 1; n <= 5; n++) {
      int check = n;
      assertTrue(md.lines().anyMatch(l -> l.startsWith("check " + check + ": PASS")), md);
    }
    assertTrue(md.lines().anyMatch(l -> l.startsWith("check 6: REPORT")), md);
    assertTrue(md.lines().anyMatch(l -> l.startsWith("database: jdbc:postgresql://")), md);
    List<String> lines = md.lines().filter(l -> !l.isBlank()).toList();
    assertEquals("result: PASS", lines.getLast(), md);
    long operations = Files.lines(report.resolve("history.jsonl")).count();
    assertTrue(operations >= 1_000, "only " + operations + " operations\n" + md);
    System.out.printf("chaos --quick took %d s%n", took.toSeconds());
  }

  /** The nodes' error lines, the first 40, for a failure's message. */
  private static String errors(Path report) throws IOException {
    StringBuilder errors = new StringBuilder("nodes' errors (logs in " + report + "):\n");
    try (Stream<Path> logs = Files.list(report)) {
      for (Path log :
          logs.filter(p -> p.getFileName().toString().matches("node\\d\\.log")).sorted().toList()) {
        Files.readAllLines(log).stream()
            .filter(l -> l.contains(" ERROR "))
            .limit(40)
            .forEach(l -> errors.append(log.getFileName()).append(": ").append(l).append('\n'));
      }
    }
    return errors.toString();
  }
}
