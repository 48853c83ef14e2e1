package io.stockhold.bench;

import io.stockhold.bench.FlashSaleBench.Settings;
import io.stockhold.bench.FlashSaleBench.Target;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The bench's results as Markdown ({@code results.md}, also printed) and as a chart of sales per
 * second ({@code sales-per-second.svg}, hand-written SVG: grouped bars, one group per workload).
 */
final class BenchReport {

  /** Where and how the bench ran. */
  record Environment(String started, String machine, String settings, int cores, Settings chosen) {
    static Environment here(Settings s) {
      int cores = Runtime.getRuntime().availableProcessors();
      double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
      String machine =
          String.format(
              Locale.ROOT,
              "%d cores, %s %s, Java %s (%s)%s",
              cores,
              System.getProperty("os.name"),
              System.getProperty("os.arch"),
              Runtime.version(),
              System.getProperty("java.vendor"),
              load >= 0 ? String.format(Locale.ROOT, ", load average %.2f at start", load) : "");
      String settings =
          String.format(
              Locale.ROOT,
              "%s s per phase (after at most %s s of Stockhold warm-up), %d connections per system;"
                  + " race %,d units; hot item %,d units; spread %,d items × %,d units; optimistic"
                  + " retries %d; Stockhold holds 1 unit for 3,600 s; %s; the nodes run with %s%s",
              trim(s.seconds()),
              trim(s.warmupSeconds()),
              s.connections(),
              s.raceUnits(),
              s.hotUnits(),
              s.items(),
              s.unitsPerItem(),
              s.retries(),
              s.projectionsElsewhere()
                  ? "Stockhold's projections NOT on its node (--projections elsewhere: as with them"
                      + " on nodes of their own)"
                  : "Stockhold's projections (read model, ERP) on its node",
              s.nodeOptions().isEmpty()
                  ? "serve's defaults (access log on)"
                  : "serve's defaults and " + String.join(" ", s.nodeOptions()),
              s.quick() ? " (--quick)" : "");
      return new Environment(
          LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")),
          machine,
          settings,
          cores,
          s);
    }
  }

  private static final Map<String, String> COLORS = new LinkedHashMap<>();

  static {
    COLORS.put("stockhold", "#2b6cb0");
    COLORS.put("stockhold-rabbitmq", "#4299e1");
    COLORS.put("naive", "#c53030");
    COLORS.put("for-update", "#dd6b20");
    COLORS.put("conditional-update", "#2f855a");
    COLORS.put("sql-transaction", "#b7791f");
    COLORS.put("optimistic", "#6b46c1");
    COLORS.put("redis-lock", "#718096");
  }

  private final Environment env;

  /** How long the warm-up ran and how busy the JIT still was at its end. */
  private final String warmUp;

  private final String postgres;
  private final String redisProblem;
  private final List<PhaseResult> results;
  private final PhaseResult readPath;
  private final List<Target> targets;
  private final List<Target> books;
  private final Map<String, GroupCommit> groupCommits;
  private final Map<Workload, CpuProfile.Samples> profiles;
  private final Map<String, String> approaches;
  private final Duration took;

  BenchReport(
      Environment env,
      String warmUp,
      String postgres,
      String redisProblem,
      List<PhaseResult> results,
      PhaseResult readPath,
      List<Target> targets,
      List<Target> books,
      Map<String, GroupCommit> groupCommits,
      Map<Workload, CpuProfile.Samples> profiles,
      Map<String, String> approaches,
      Duration took) {
    this.env = env;
    this.warmUp = warmUp;
    this.postgres = postgres;
    this.redisProblem = redisProblem;
    this.results = results;
    this.readPath = readPath;
    this.targets = targets;
    this.books = books;
    this.groupCommits = groupCommits;
    this.profiles = profiles;
    this.approaches = approaches;
    this.took = took;
  }

  /** The tables a reader needs at the end of a run. */
  void print(PrintStream out) {
    out.println();
    out.println(resultsTable());
    out.println(raceTable());
    out.println("Targets (ratios from this run):");
    out.println(checks(targets));
    if (!books.isEmpty()) {
      out.println("Books balance (Stockhold, after the run):");
      out.println(checks(books));
    }
    out.println("Where the CPU went (share of all " + env.cores() + " cores during each phase):");
    out.println(cpuTable());
    if (!groupCommits.isEmpty()) {
      out.println("Stockhold's group commit (from the node's meters):");
      out.println(groupCommitTable());
    }
    if (!profiles.isEmpty()) {
      out.println("What Stockhold's answers cost its node (--profile: sampled CPU µs per answer):");
      out.println(profileTable());
    }
  }

  void write(Path dir) throws IOException {
    Files.writeString(dir.resolve("results.md"), markdown(), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("sales-per-second.svg"), svg(), StandardCharsets.UTF_8);
  }

  String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("# Stockhold flash-sale bench, ").append(env.started()).append("\n\n");
    md.append("- Machine: ").append(env.machine()).append('\n');
    md.append("- Database: ")
        .append(postgres)
        .append(
            " (one fresh database for Stockhold's journal and every baseline's tables,"
                + " analyzed after the warm-up and after stocking each phase)\n");
    md.append("- Redis: ")
        .append(
            redisProblem == null
                ? env.chosen().redisHost() + ":" + env.chosen().redisPort()
                : redisProblem.equals("not selected") ? "not used" : "skipped: " + redisProblem)
        .append('\n');
    md.append("- Settings: ").append(env.settings()).append('\n');
    md.append("- ").append(warmUp).append('\n');
    md.append("- The whole run took ").append(duration(took)).append(".\n\n");
    md.append("![sales per second](sales-per-second.svg)\n\n");
    md.append("## Results\n\n").append(resultsTable()).append('\n');
    md.append(
        """
        *sales/s*: sales the buyers were told about per second of the phase. *answers/s*: every \
        answer (sold, sold out, try again; reads for the read path). Latency: every request, in \
        milliseconds, closed loop (a buyer sends the next request when answered). *sales recorded*: \
        the system's own records after the run — the baselines' `sales` rows, Stockhold's holds in \
        its journal (read by the same audit as `verify`). *oversold*: units recorded sold beyond an \
        item's units. *wrongly turned away*: "sold out" or "try again" answered while the item still \
        had a unit — units remained at the end of the phase, or a sale that started after the \
        answer still found one. *unknown*: the buyer never learned the outcome (timeout, broken \
        connection, 503 timeout).

        """);
    md.append("## The last-unit race\n\n").append(raceTable()).append('\n');
    md.append("## Targets\n\n").append(checks(targets)).append('\n');
    if (!books.isEmpty())
      md.append("## Books balance (Stockhold)\n\n").append(checks(books)).append('\n');
    md.append("## Where the CPU went\n\n");
    md.append("Share of all ")
        .append(env.cores())
        .append(
            """
             cores during each phase, from /proc. *bench clients*: the bench's own JVM — the load \
            workers with their HTTP, JDBC and Redis clients (the baselines' application side); \
            *Stockhold node*: the node processes (`serve`) but their JVM's GC and JIT threads, \
            which are *node GC, JIT* (*of which JIT*: the compiler threads); *other processes*: \
            anything else on the machine. *client CPU ms/request*: the bench JVM's CPU per request; \
            *server CPU ms/request*: Stockhold's node processes, PostgreSQL, Redis and RabbitMQ \
            per request for Stockhold's rows, PostgreSQL, Redis and RabbitMQ for the baselines' \
            (the node sits idle during theirs).

            """);
    md.append(cpuTable()).append('\n');
    if (!groupCommits.isEmpty()) {
      md.append("## Stockhold's group commit\n\n");
      md.append(
              "From the node's meters during each Stockhold phase. *requests per write*: requests"
                  + " one ")
          .append(
              "journal write carried (rejections answered from memory are not written); *journal"
                  + " write*: ")
          .append(
              "from a batch leaving its stock item to its events persisted. A buyer waits for the"
                  + " write in ")
          .append("flight and then for its own, so latency is about twice the write.\n\n");
      md.append(groupCommitTable()).append('\n');
    }
    if (!profiles.isEmpty()) {
      md.append("## What Stockhold's answers cost (profiled)\n\n");
      md.append("The `stockhold` node's CPU during each of its phases, sampled by async-profiler (")
          .append(profiles.values().iterator().next().event())
          .append(" event, one sample per ")
          .append(CpuProfile.INTERVAL_MS)
          .append(" ms of CPU), in microseconds per answer: a sale, a sold-out ")
          .append(
              "answer or a read. A sample counts for the first part its thread or a frame of its"
                  + " stack ")
          .append(
              "belongs to, in the order of the rows (io.stockhold.bench.CpuProfile). PostgreSQL's"
                  + " own ")
          .append(
              "CPU is not in it; the CPU table above has it. Sampling slows reads much more than"
                  + " sales ")
          .append(
              "on a virtual machine, so this run's rates and ratios are not the node's: read the"
                  + " parts, ")
          .append("not the speed. The stacks are in ")
          .append("`profile-<phase>.collapsed`, ready for a flame graph.\n\n");
      md.append(profileTable()).append('\n');
    }
    md.append("## How each system sells\n\n");
    approaches.forEach(
        (name, how) -> md.append("- **").append(name).append("**: ").append(how).append('\n'));
    md.append(
        """

        Everything runs on one machine over 127.0.0.1: the bench (load generator and the \
        baselines' JDBC clients, one JVM), the Stockhold node as `bin/stockhold serve` runs it (a \
        JVM of its own, its output with the access log in `node.log`), PostgreSQL and Redis share \
        its cores. Every system gets the same number of buyers, each with a connection of its own.
        """);
    return md.toString();
  }

  /**
   * Rows: the parts of {@link CpuProfile}; columns: the profiled phases, in µs of CPU per answer.
   */
  String profileTable() {
    List<String> header = new ArrayList<>(List.of("part"));
    List<Double> answers = new ArrayList<>();
    for (Workload w : profiles.keySet()) {
      header.add(w.key() + " µs/answer");
      answers.add((double) answersOf(w));
    }
    List<List<String>> rows = new ArrayList<>();
    List<String> parts = new ArrayList<>(profiles.values().iterator().next().byPart().keySet());
    for (String part : parts) {
      List<String> row = new ArrayList<>(List.of(part));
      int i = 0;
      for (CpuProfile.Samples s : profiles.values())
        row.add(perAnswer(s.byPart().getOrDefault(part, 0L), answers.get(i++)));
      rows.add(row);
    }
    List<String> total = new ArrayList<>(List.of("all of the node"));
    int i = 0;
    for (CpuProfile.Samples s : profiles.values())
      total.add(perAnswer(s.total(), answers.get(i++)));
    rows.add(total);
    return table(header, rows);
  }

  private long answersOf(Workload w) {
    if (readPath != null && readPath.workload().equals(w)) return readPath.run().requests();
    return results.stream()
        .filter(r -> r.workload().equals(w) && r.system().equals("stockhold") && r.ran())
        .mapToLong(r -> r.run().requests())
        .findFirst()
        .orElse(0);
  }

  private static String perAnswer(long samples, double answers) {
    if (answers <= 0) return "–";
    return String.format(Locale.ROOT, "%.1f", samples * CpuProfile.INTERVAL_MS * 1000.0 / answers);
  }

  String groupCommitTable() {
    List<List<String>> rows = new ArrayList<>();
    groupCommits.forEach(
        (phase, g) ->
            rows.add(
                List.of(
                    phase,
                    rate(g.writesPerSecond()),
                    Double.isNaN(g.requestsPerWrite())
                        ? "–"
                        : String.format(Locale.ROOT, "%.1f", g.requestsPerWrite()),
                    ms(g.meanWriteMillis()))));
    return table(
        List.of(
            "system and workload",
            "journal writes/s",
            "requests per write",
            "journal write ms (mean)"),
        rows);
  }

  private static final List<String> COLUMNS =
      List.of(
          "workload",
          "system",
          "sales/s",
          "answers/s",
          "p50 ms",
          "p99 ms",
          "p99.9 ms",
          "sales acked",
          "sales recorded",
          "oversold",
          "wrongly turned away",
          "sold out",
          "turned away",
          "unknown");

  String resultsTable() {
    List<List<String>> rows = new ArrayList<>();
    if (readPath != null) {
      LoadRun.Result r = readPath.run();
      rows.add(
          List.of(
              "read path (GET one item)",
              readPath.system(),
              "–",
              rate(readPath.answersPerSecond()),
              ms(r.latencyMillis(0.5)),
              ms(r.latencyMillis(0.99)),
              ms(r.latencyMillis(0.999)),
              "–",
              "–",
              "–",
              "–",
              "–",
              "–",
              count(r.unknown())));
    }
    for (PhaseResult p : results) {
      String workload = p.workload().key() + " (" + p.workload().label() + ")";
      if (!p.ran()) {
        List<String> row = new ArrayList<>(List.of(workload, p.system(), p.problem()));
        while (row.size() < COLUMNS.size()) row.add("–");
        rows.add(row);
        continue;
      }
      LoadRun.Result r = p.run();
      PhaseResult.Score s = p.score();
      rows.add(
          List.of(
              workload,
              p.system(),
              rate(p.salesPerSecond()),
              rate(p.answersPerSecond()),
              ms(r.latencyMillis(0.5)),
              ms(r.latencyMillis(0.99)),
              ms(r.latencyMillis(0.999)),
              count(r.sold()),
              s == null ? "?" : count(s.recorded()),
              s == null ? "?" : count(s.oversold()),
              s == null ? "?" : count(s.wronglyTurnedAway()),
              count(r.soldOut()),
              count(r.turnedAway()),
              count(r.unknown())));
    }
    return table(COLUMNS, rows);
  }

  String raceTable() {
    List<List<String>> rows = new ArrayList<>();
    for (PhaseResult p : results) {
      if (!p.workload().key().equals("race") || !p.ran() || p.score() == null) continue;
      PhaseResult.Score s = p.score();
      rows.add(
          List.of(
              p.system(),
              Double.isNaN(s.sellOutSeconds())
                  ? "did not sell out"
                  : String.format(Locale.ROOT, "%.3f s", s.sellOutSeconds()),
              Double.isNaN(s.soldOutAnswersPerSecond()) ? "–" : rate(s.soldOutAnswersPerSecond()),
              count(s.recorded()),
              count(s.oversold()),
              count(s.wronglyTurnedAway())));
    }
    return table(
        List.of(
            "system",
            "last unit sold after",
            "\"sold out\" answers/s after that",
            "units sold (recorded)",
            "oversold",
            "wrongly turned away"),
        rows);
  }

  static String checks(List<Target> checks) {
    List<List<String>> rows = new ArrayList<>();
    for (Target t : checks) {
      rows.add(
          List.of(t.goal(), t.measured(), t.met() == null ? "n/a" : t.met() ? "PASS" : "MISS"));
    }
    return table(List.of("target", "measured", "result"), rows);
  }

  String cpuTable() {
    List<List<String>> rows = new ArrayList<>();
    List<PhaseResult> phases = new ArrayList<>();
    if (readPath != null) phases.add(readPath);
    phases.addAll(results);
    for (PhaseResult p : phases) {
      if (!p.ran()) continue;
      CpuMeter.Split c = p.run().cpu();
      // CPU milliseconds per answer: the machine's cores × the phase's seconds, shared out.
      double msPerShare =
          env.cores() * p.run().seconds() * 1000 / 100 / Math.max(1, p.run().requests());
      double node = p.system().startsWith("stockhold") ? c.engine() + c.jvm() : 0;
      rows.add(
          List.of(
              p.workload().key(),
              p.system(),
              pct(c.clients()),
              pct(c.engine()),
              pct(c.jvm()),
              pct(c.jit()),
              pct(c.postgres()),
              pct(c.redis()),
              pct(c.rabbitmq()),
              pct(c.others()),
              pct(c.idle()),
              ms(c.clients() * msPerShare),
              ms((node + c.postgres() + c.redis() + c.rabbitmq()) * msPerShare)));
    }
    return table(
        List.of(
            "workload",
            "system",
            "bench clients",
            "Stockhold node",
            "node GC, JIT",
            "of which JIT",
            "PostgreSQL",
            "Redis",
            "RabbitMQ",
            "other processes",
            "idle",
            "client CPU ms/request",
            "server CPU ms/request"),
        rows);
  }

  /** A Markdown table, columns padded so it also reads well in a terminal. */
  static String table(List<String> header, List<List<String>> rows) {
    int[] width = new int[header.size()];
    for (int i = 0; i < width.length; i++) width[i] = Math.max(3, header.get(i).length());
    for (List<String> row : rows) {
      for (int i = 0; i < row.size() && i < width.length; i++)
        width[i] = Math.max(width[i], row.get(i).length());
    }
    StringBuilder t = new StringBuilder();
    line(t, header, width);
    List<String> rule = new ArrayList<>();
    for (int w : width) rule.add("-".repeat(w));
    line(t, rule, width);
    for (List<String> row : rows) line(t, row, width);
    return t.toString();
  }

  private static void line(StringBuilder t, List<String> cells, int[] width) {
    t.append('|');
    for (int i = 0; i < width.length; i++) {
      String cell = i < cells.size() ? cells.get(i).replace("|", "\\|") : "";
      t.append(' ')
          .append(cell)
          .append(" ".repeat(Math.max(0, width[i] - cell.length())))
          .append(" |");
    }
    t.append('\n');
  }

  // ---- the chart ----

  /**
   * Grouped bars, one group per workload, one bar per system. The race group shows answers/s: its
   * sales are a handful.
   */
  String svg() {
    List<String> systems = new ArrayList<>();
    List<Workload> workloads = new ArrayList<>();
    for (PhaseResult p : results) {
      if (!systems.contains(p.system())) systems.add(p.system());
      if (!workloads.contains(p.workload())) workloads.add(p.workload());
    }
    double max = 1;
    double min = Double.MAX_VALUE;
    for (PhaseResult p : results) {
      if (!p.ran()) continue;
      double v = value(p);
      max = Math.max(max, v);
      if (v > 0) min = Math.min(min, v);
    }
    double reads = readPath == null ? Double.NaN : readPath.answersPerSecond();
    if (!Double.isNaN(reads)) max = Math.max(max, reads);
    if (min == Double.MAX_VALUE) min = 1;
    boolean log = env.chosen().logScale();

    int w = 1000;
    int h = 560;
    double left = 90;
    double right = w - 20;
    double top = 78;
    double bottom = h - 150;
    Scale scale = log ? Scale.log(min, max, top, bottom) : Scale.linear(max, top, bottom);

    StringBuilder s = new StringBuilder();
    s.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d"
                + " %d\" font-family=\"Helvetica, Arial, sans-serif\">%n",
            w,
            h,
            w,
            h));
    s.append(
        String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>%n", w, h));
    text(
        s,
        w / 2.0,
        28,
        18,
        "middle",
        "#1a202c",
        "bold",
        "Flash-sale bench: sales per second" + (log ? " (log scale)" : ""));
    text(
        s,
        w / 2.0,
        50,
        12,
        "middle",
        "#4a5568",
        null,
        String.format(
            Locale.ROOT,
            "%d connections per system, %s s per phase, %d cores, one PostgreSQL; %s",
            env.chosen().connections(),
            trim(env.chosen().seconds()),
            env.cores(),
            env.started()));

    for (double tick : scale.ticks()) {
      double y = scale.y(tick);
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e2e8f0\"/>%n",
              left,
              y,
              right,
              y));
      text(s, left - 8, y + 4, 11, "end", "#4a5568", null, compact(tick));
    }
    s.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#2d3748\"/>%n",
            left,
            bottom,
            right,
            bottom));
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"22\" y=\"%.1f\" font-size=\"12\" fill=\"#4a5568\" text-anchor=\"middle\""
                + " transform=\"rotate(-90 22 %.1f)\">per second</text>%n",
            (top + bottom) / 2,
            (top + bottom) / 2));

    double groupWidth = (right - left) / Math.max(1, workloads.size());
    double barWidth = groupWidth * 0.82 / Math.max(1, systems.size());
    for (int g = 0; g < workloads.size(); g++) {
      Workload wl = workloads.get(g);
      double x0 = left + g * groupWidth + groupWidth * 0.09;
      for (int b = 0; b < systems.size(); b++) {
        String system = systems.get(b);
        double x = x0 + b * barWidth;
        double cx = x + barWidth / 2;
        PhaseResult p =
            results.stream()
                .filter(r -> r.workload().equals(wl) && r.system().equals(system))
                .findFirst()
                .orElse(null);
        if (p == null || !p.ran()) {
          text(s, cx, bottom - 6, 10, "middle", "#a0aec0", null, "n/a");
          continue;
        }
        double v = value(p);
        double y = scale.y(Math.max(v, scale.floor()));
        s.append(
            String.format(
                Locale.ROOT,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s,"
                    + " %s: %s/s</title></rect>%n",
                x + 2,
                y,
                barWidth - 4,
                Math.max(0, bottom - y),
                COLORS.getOrDefault(system, "#a0aec0"),
                escape(system),
                escape(wl.key()),
                escape(rate(v))));
        text(s, cx, y - 5, 10, "middle", "#1a202c", null, rate(v));
        if (p.score() != null && p.score().oversold() > 0) {
          // Two short lines, so the label stays over its own bar.
          text(s, cx, y - 18, 9, "middle", "#c53030", "bold", count(p.score().oversold()));
          text(s, cx, y - 28, 9, "middle", "#c53030", "bold", "oversold");
        }
      }
      if (wl.key().equals("hot") && !Double.isNaN(reads)) {
        double y = scale.y(reads);
        double gx1 = left + g * groupWidth + 4;
        double gx2 = left + (g + 1) * groupWidth - 4;
        s.append(
            String.format(
                Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#2b6cb0\""
                    + " stroke-dasharray=\"5 4\"/>%n",
                gx1,
                y,
                gx2,
                y));
      }
      double gx = left + (g + 0.5) * groupWidth;
      text(s, gx, bottom + 20, 13, "middle", "#1a202c", "bold", wl.key());
      text(s, gx, bottom + 36, 11, "middle", "#4a5568", null, wl.label());
      text(
          s,
          gx,
          bottom + 51,
          11,
          "middle",
          "#4a5568",
          null,
          wl.key().equals("race") ? "answers/s (its sales are a handful)" : "sales/s");
    }

    double lx = left;
    double ly = h - 62;
    for (String system : systems) {
      boolean ranAnywhere = results.stream().anyMatch(r -> r.system().equals(system) && r.ran());
      s.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>%n",
              lx,
              ly - 10,
              COLORS.getOrDefault(system, "#a0aec0")));
      String label = system + (ranAnywhere ? "" : " (skipped)");
      text(s, lx + 17, ly, 12, "start", "#1a202c", null, label);
      lx += 30 + label.length() * 7.2;
    }
    if (!Double.isNaN(reads)) {
      // The read path is the reference the targets use; its line is drawn across the hot-item
      // group.
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#2b6cb0\""
                  + " stroke-dasharray=\"5 4\"/>%n",
              lx,
              ly - 4,
              lx + 24,
              ly - 4));
      text(
          s,
          lx + 29,
          ly,
          12,
          "start",
          "#1a202c",
          null,
          "Stockhold read path: " + rate(reads) + " reads/s");
    }
    text(
        s,
        left,
        h - 30,
        11,
        "start",
        "#4a5568",
        null,
        "Bars: every answer counted for the race, sales the buyers were told about otherwise. Red:"
            + " units sold beyond stock (from the database/journal).");
    text(s, left, h - 14, 11, "start", "#4a5568", null, env.machine());
    s.append("</svg>\n");
    return s.toString();
  }

  private static double value(PhaseResult p) {
    return p.workload().key().equals("race") ? p.answersPerSecond() : p.salesPerSecond();
  }

  /** Value → y on the chart. */
  private record Scale(boolean log, double lo, double hi, double top, double bottom) {
    static Scale log(double min, double max, double top, double bottom) {
      double lo = Math.pow(10, Math.floor(Math.log10(Math.max(1, min))));
      double hi = Math.pow(10, Math.ceil(Math.log10(max)));
      if (hi <= lo) hi = lo * 10;
      return new Scale(true, lo, hi, top, bottom);
    }

    static Scale linear(double max, double top, double bottom) {
      double step = niceStep(max / 5);
      return new Scale(false, 0, Math.ceil(max / step) * step, top, bottom);
    }

    double floor() {
      return log ? lo : 0;
    }

    double y(double v) {
      double f =
          log
              ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))
              : v / hi;
      return bottom - f * (bottom - top);
    }

    List<Double> ticks() {
      List<Double> ticks = new ArrayList<>();
      if (log) {
        for (double t = lo; t <= hi * 1.0001; t *= 10) ticks.add(t);
      } else {
        double step = niceStep(hi / 5);
        for (double t = 0; t <= hi * 1.0001; t += step) ticks.add(t);
      }
      return ticks;
    }

    private static double niceStep(double raw) {
      if (raw <= 0) return 1;
      double p = Math.pow(10, Math.floor(Math.log10(raw)));
      for (double m : new double[] {1, 2, 2.5, 5, 10}) {
        if (m * p >= raw) return m * p;
      }
      return 10 * p;
    }
  }

  private static void text(
      StringBuilder s,
      double x,
      double y,
      int size,
      String anchor,
      String fill,
      String weight,
      String content) {
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"%s\""
                + " fill=\"%s\"%s>%s</text>%n",
            x,
            y,
            size,
            anchor,
            fill,
            weight == null ? "" : " font-weight=\"" + weight + "\"",
            escape(content)));
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  // ---- number formats ----

  static String rate(double perSecond) {
    if (Double.isNaN(perSecond)) return "–";
    return perSecond >= 100
        ? String.format(Locale.ROOT, "%,.0f", perSecond)
        : String.format(Locale.ROOT, "%.1f", perSecond);
  }

  static String ms(double millis) {
    if (Double.isNaN(millis)) return "–";
    return millis >= 10
        ? String.format(Locale.ROOT, "%.1f", millis)
        : String.format(Locale.ROOT, "%.2f", millis);
  }

  static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  static String pct(double share) {
    return String.format(Locale.ROOT, "%.0f%%", share);
  }

  private static String compact(double v) {
    if (v >= 1e6) return trim(v / 1e6) + "M";
    if (v >= 1e3) return trim(v / 1e3) + "k";
    return trim(v);
  }

  static String trim(double v) {
    return v == Math.rint(v)
        ? String.format(Locale.ROOT, "%.0f", v)
        : String.format(Locale.ROOT, "%.1f", v);
  }

  static String duration(Duration d) {
    long s = d.toSeconds();
    return s >= 60 ? String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60) : s + " s";
  }
}
