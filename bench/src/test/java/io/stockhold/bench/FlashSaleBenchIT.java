package io.stockhold.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stockhold bench --quick} on PostgreSQL: it runs every system on every workload, writes its
 * report, and Stockhold oversells nothing. (Whether the naive baseline oversells in a few short
 * phases is luck; that it reports a number is not.)
 */
class FlashSaleBenchIT {

  @Test
  void quickBenchReportsEverySystemAndWorkloadAndStockholdNeverOversells(@TempDir Path reportDir)
      throws Exception {
    Set<Path> scratchBefore = scratchDirs();
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    int exit;
    try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
      exit = FlashSaleBench.run(Map.of("quick", "true", "report", reportDir.toString()), out);
    }
    String console = printed.toString(StandardCharsets.UTF_8);
    assertEquals(0, exit, console);
    Set<Path> left = scratchDirs();
    left.removeAll(scratchBefore);
    assertTrue(left.isEmpty(), "the bench left its node's data directory behind: " + left);

    Path markdown = reportDir.resolve("results.md");
    Path chart = reportDir.resolve("sales-per-second.svg");
    assertTrue(Files.isRegularFile(markdown), console);
    assertTrue(Files.isRegularFile(chart), console);
    assertTrue(Files.readString(chart).contains("</svg>"));

    List<Map<String, String>> rows = table(Files.readString(markdown), "## Results");
    for (String workload : List.of("race", "hot", "spread")) {
      for (String system : FlashSaleBench.SYSTEMS) {
        // The three-node cluster runs the spread only.
        if (system.equals(NodeShape.CLUSTER) && !workload.equals("spread")) continue;
        assertTrue(
            rows.stream()
                .anyMatch(
                    r -> r.get("workload").startsWith(workload) && r.get("system").equals(system)),
            "no row for " + system + " on " + workload + "\n" + console);
      }
      Map<String, String> stockhold = row(rows, workload, "stockhold");
      assertEquals(
          "0", stockhold.get("oversold"), "Stockhold oversold on " + workload + "\n" + console);
      String naive = row(rows, workload, "naive").get("oversold");
      assertTrue(
          naive.matches("[0-9][0-9,]*"),
          "naive oversold on " + workload + " is not a number: " + naive);
    }
    // Pool lines are Stockhold's own: its row, never an oversell.
    assertEquals(
        "0",
        row(rows, "pool", "stockhold").get("oversold"),
        "Stockhold oversold on pool\n" + console);
    assertTrue(console.contains("PASS") || console.contains("MISS"), console);
    // Stockhold's group commit, from the node's meters: the hot item's writes carried requests.
    String report = Files.readString(markdown);
    assertTrue(report.contains("## Stockhold's group commit"), report);
    String hotWrites =
        report
            .lines()
            .filter(l -> l.startsWith("| stockhold hot ") && l.split("\\|").length == 5)
            .findFirst()
            .orElseThrow(() -> new AssertionError("no group-commit row for hot\n" + report));
    assertTrue(Double.parseDouble(hotWrites.split("\\|")[3].trim()) >= 1, hotWrites);
    // How long the warm-up ran (0.5 s with --quick, and the requests then in flight), and where the
    // projections ran.
    assertTrue(
        report.lines().anyMatch(l -> l.matches("- stockhold warm-up: [0-9]+\\.[0-9] s.*")), report);
    assertTrue(report.contains("Stockhold's projections (read model, ERP) on its node"), report);
    // The server's autovacuum setting, and that the bench keeps the planner's statistics itself.
    assertTrue(
        report
            .lines()
            .anyMatch(
                l ->
                    l.matches(
                        "- Database: PostgreSQL .*, autovacuum (on|off) .*analyzed after the"
                            + " warm-up.*")),
        report);
    // The node's JIT compiler threads' share of each phase, a part of its GC and JIT.
    for (Map<String, String> cpu : table(report, "## Where the CPU went")) {
      double jvm = percent(cpu.get("node GC, JIT"));
      double jit = percent(cpu.get("of which JIT"));
      assertTrue(jit >= 0 && jit <= jvm, cpu.toString());
    }
  }

  @Test
  void aProfiledRunSaysWhatEachAnswerCostAndKeepsTheStacks(@TempDir Path reportDir)
      throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    int exit;
    try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
      exit =
          FlashSaleBench.run(
              Map.of(
                  "quick",
                  "true",
                  "systems",
                  "stockhold",
                  "profile",
                  "true",
                  "report",
                  reportDir.toString()),
              out);
    }
    String console = printed.toString(StandardCharsets.UTF_8);
    assertEquals(0, exit, console);
    Assumptions.assumeFalse(
        console.contains("--profile: no samples"), "this machine cannot sample: " + console);

    String report = Files.readString(reportDir.resolve("results.md"));
    List<Map<String, String>> parts = table(report, "## What Stockhold's answers cost (profiled)");
    List<String> phases = List.of("read", "race", "hot", "spread");
    for (String phase : phases) {
      Path stacks = reportDir.resolve("profile-" + phase + ".collapsed");
      assertTrue(Files.size(stacks) > 0, "no stacks for " + phase);
      // The parts add up to the node's whole CPU per answer (each rounded to 0.1 µs).
      double sum = 0;
      double all = Double.NaN;
      for (Map<String, String> row : parts) {
        double micros = Double.parseDouble(row.get(phase + " µs/answer"));
        assertTrue(micros >= 0, row.toString());
        if (row.get("part").equals("all of the node")) all = micros;
        else sum += micros;
      }
      assertTrue(
          all > 0 && Math.abs(sum - all) <= 0.05 * parts.size() + 0.01,
          phase + ": parts " + sum + " against all " + all + "\n" + report);
    }
    // The hot item's sales are written to the journal: that part cannot be empty there.
    Map<String, String> journal =
        parts.stream()
            .filter(r -> r.get("part").equals("journal writes"))
            .findFirst()
            .orElseThrow();
    assertTrue(Double.parseDouble(journal.get("hot µs/answer")) > 0, journal.toString());
  }

  private static double percent(String cell) {
    assertTrue(cell != null && cell.endsWith("%"), "not a share: " + cell);
    return Double.parseDouble(cell.substring(0, cell.length() - 1));
  }

  private static Map<String, String> row(
      List<Map<String, String>> rows, String workload, String system) {
    return rows.stream()
        .filter(r -> r.get("workload").startsWith(workload) && r.get("system").equals(system))
        .findFirst()
        .orElseThrow();
  }

  /** The first Markdown table after {@code heading}, as one map per row keyed by the header. */
  private static List<Map<String, String>> table(String markdown, String heading) {
    List<String> lines =
        markdown
            .substring(markdown.indexOf(heading))
            .lines()
            .dropWhile(l -> !l.startsWith("|"))
            .takeWhile(l -> l.startsWith("|"))
            .toList();
    List<String> header = cells(lines.get(0));
    List<Map<String, String>> rows = new ArrayList<>();
    for (String line : lines.subList(2, lines.size())) {
      List<String> cells = cells(line);
      Map<String, String> row = new LinkedHashMap<>();
      for (int i = 0; i < header.size(); i++)
        row.put(header.get(i), i < cells.size() ? cells.get(i) : "");
      rows.add(row);
    }
    return rows;
  }

  private static List<String> cells(String line) {
    String inner = line.substring(1, line.lastIndexOf('|'));
    return Arrays.stream(inner.split("(?<!\\\\)\\|")).map(String::trim).toList();
  }

  /** The bench nodes' data directories in the temporary folder. */
  private static Set<Path> scratchDirs() throws IOException {
    try (Stream<Path> entries = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return entries
          .filter(p -> p.getFileName().toString().startsWith("stockhold-bench"))
          .collect(Collectors.toCollection(HashSet::new));
    }
  }
}
