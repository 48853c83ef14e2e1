package io.stockhold.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.stockhold.access.MasterKey;
import io.stockhold.cli.JournalAudit;
import io.stockhold.cli.Main;
import io.stockhold.cli.ScratchDir;
import io.stockhold.stock.StockAudit;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * {@code stockhold bench}: the same flash sale, side by side in one run and on one PostgreSQL,
 * against Stockhold over HTTP and against the usual ways to sell stock with SQL (and Redis), with
 * the numbers that matter for a flash sale — sales per second, latency, units oversold, buyers sent
 * away while units were left — and the targets of issue #4 judged in the same run.
 *
 * <p>What runs, in order, each phase for a fixed time with the same number of connections:
 *
 * <ol>
 *   <li>a Stockhold warm-up until the JIT is quiet (sales, sold-out answers, reads), not reported;
 *   <li>Stockhold's read path ({@code GET /v1/stock/…} on one item), the reference for the targets;
 *   <li>for each workload — {@code race}: one item with few units (the last-unit race, then a wall
 *       of "sold out"); {@code hot}: one item with plenty of units (throughput); {@code spread}:
 *       many items picked uniformly (whole-node throughput) — every system in turn: {@code
 *       stockhold}, {@code naive}, {@code for-update}, {@code conditional-update}, {@code
 *       sql-transaction}, {@code optimistic}, {@code redis-lock} (skipped, with a line in the
 *       report, when Redis does not answer).
 * </ol>
 *
 * A fresh database {@code stockhold_bench_<random>} holds Stockhold's journal and the baselines'
 * tables; it is dropped at the end, also on failure. The node listens on 127.0.0.1 only, on free
 * ports. Afterwards the node stops and its journal is audited ({@link JournalAudit}, as {@code
 * verify} does): Stockhold's sales and oversold units come from the journal, the baselines' from
 * their {@code sales} tables, never from the buyers' own counts.
 *
 * <p>Options: {@link #OPTIONS}, printed by {@code bench --help}.
 *
 * <p>Exit code ({@link #run}): 0 when the bench ran — a missed target is reported, not an error; 1
 * when Stockhold oversold, its journal audit found a violation, or its books do not balance; 2 when
 * the bench could not run (bad option, no PostgreSQL, the node did not start).
 */
public final class FlashSaleBench {

  /** The options, all optional ({@code --name value}); {@code bench --help} prints them. */
  static final String OPTIONS =
      """
      options (all optional, --name value):
        --seconds N         seconds per phase (default 8; fractions allowed)
        --warmup N          the most seconds of Stockhold warm-up before the first phase (default 180). It
                            ends sooner, after at least 20 s, once the JIT compilers are quiet (compiling
                            under 10 % of a core over the last 10 s): on 2 cores they take about 100 s of
                            load to settle. The report says how long it ran and how busy they still were.
        --connections N     buyers (connections) per system, each with a connection of its own (default 64)
        --report DIR        where results.md and sales-per-second.svg go (default reports/bench-<timestamp>)
        --quick true        a smoke test, about 20 s with the node's start: 0.5 s phases, 16 connections,
                            small unit counts (any option given as well wins). A bare flag: any value but
                            "false" turns it on.
        --race-units N      units of the one item in the last-unit race (default 50)
        --hot-units N       units of the hot item (default 10,000,000: it never sells out)
        --items N           items in the spread workload (default 10,000)
        --units-per-item N  units of each of those items (default 1,000)
        --retries N         optimistic baseline: retries after a version conflict before giving up (default 5)
        --systems a,b,…     only these systems (default all: stockhold,stockhold-rabbitmq,stockhold-cluster,naive,for-update,
                            conditional-update,sql-transaction,optimistic,redis-lock)
        --workloads a,b,…   only these workloads (default all: race,hot,spread,pool)
        --pg-url URL        an existing database to create the bench database from, as user postgres
                            (default $STOCKHOLD_BENCH_PG_URL or jdbc:postgresql://127.0.0.1:5432/postgres)
        --redis HOST:PORT   Redis for the lock baseline (default 127.0.0.1:6379)
        --chart log|linear  the chart's scale (default log)
        --node-options "…"  JVM options added to the Stockhold nodes' (e.g. "-Djdbc-journal.parallelism=4"),
                            to measure what a setting changes; the report names them
        --projections here|elsewhere
                            where Stockhold's projections (read model, ERP) run: on the bench's node
                            (default), or elsewhere, which measures the node as it serves with the
                            projections on nodes of their own (stockhold.projections.role): this node
                            then reads nothing back
        --profile true      also sample the stockhold node's CPU during each of its phases (async-profiler) and
                            report what a sale, a sold-out answer and a read spent it on; the stacks go
                            to profile-<phase>.collapsed in the report folder. Sampling slows reads
                            much more than sales on a virtual machine, so a profiled run's rates and
                            ratios are not the node's: read its parts, not its speed. A bare flag, as --quick.
      """;

  static final List<String> SYSTEMS =
      List.of(
          NodeShape.EVENTS_FILE,
          NodeShape.RABBITMQ,
          NodeShape.CLUSTER,
          "naive",
          "for-update",
          "conditional-update",
          "sql-transaction",
          "optimistic",
          "redis-lock");

  static final List<String> WORKLOADS = List.of("race", "hot", "spread", "pool");

  /** The settings one run uses; {@link #from} reads them from the command's options. */
  record Settings(
      double seconds,
      double warmupSeconds,
      int connections,
      Path reportDir,
      boolean quick,
      long raceUnits,
      long hotUnits,
      int items,
      long unitsPerItem,
      int retries,
      Set<String> systems,
      Set<String> workloads,
      String pgUrl,
      String redisHost,
      int redisPort,
      boolean logScale,
      boolean projectionsElsewhere,
      boolean profile,
      List<String> nodeOptions) {

    static Settings from(Map<String, String> options, Map<String, String> env) {
      Map<String, String> o = new HashMap<>(options);
      boolean quick = flag(o.remove("quick"));
      boolean profile = flag(o.remove("profile"));
      double seconds = decimal(o.remove("seconds"), quick ? 0.5 : 8, "seconds");
      double warmup = decimal(o.remove("warmup"), quick ? 0.5 : 180, "warmup");
      int connections =
          (int) whole(o.remove("connections"), quick ? 16 : 64, 1, 1000, "connections");
      String report = o.remove("report");
      Path reportDir =
          report != null
              ? Path.of(report)
              : Path.of(
                  "reports",
                  "bench-"
                      + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
      long raceUnits =
          whole(o.remove("race-units"), quick ? 20 : 50, 1, Long.MAX_VALUE, "race-units");
      long hotUnits =
          whole(
              o.remove("hot-units"),
              quick ? 1_000_000 : 10_000_000,
              1,
              Long.MAX_VALUE,
              "hot-units");
      int items =
          (int) whole(o.remove("items"), quick ? 200 : 10_000, 1, Workload.MAX_ITEMS, "items");
      long unitsPerItem =
          whole(
              o.remove("units-per-item"), quick ? 50 : 1_000, 1, Long.MAX_VALUE, "units-per-item");
      int retries = (int) whole(o.remove("retries"), 5, 0, 1000, "retries");
      Set<String> systems = new LinkedHashSet<>(SYSTEMS);
      String only = o.remove("systems");
      if (only != null) {
        List<String> chosen =
            Arrays.stream(only.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        for (String s : chosen) {
          if (!SYSTEMS.contains(s))
            throw new IllegalArgumentException(
                "unknown system " + s + "; known: " + String.join(",", SYSTEMS));
        }
        systems.retainAll(chosen);
      }
      Set<String> workloads = new LinkedHashSet<>(WORKLOADS);
      String onlyWorkloads = o.remove("workloads");
      if (onlyWorkloads != null) {
        List<String> chosen =
            Arrays.stream(onlyWorkloads.split(","))
                .map(String::trim)
                .filter(w -> !w.isEmpty())
                .toList();
        for (String w : chosen) {
          if (!WORKLOADS.contains(w))
            throw new IllegalArgumentException(
                "unknown workload " + w + "; known: " + String.join(",", WORKLOADS));
        }
        workloads.retainAll(chosen);
      }
      String pgUrl =
          Optional.ofNullable(o.remove("pg-url"))
              .or(
                  () ->
                      Optional.ofNullable(env.get("STOCKHOLD_BENCH_PG_URL"))
                          .filter(s -> !s.isBlank()))
              .orElse("jdbc:postgresql://127.0.0.1:5432/postgres");
      String redis = o.getOrDefault("redis", "127.0.0.1:6379");
      o.remove("redis");
      int colon = redis.lastIndexOf(':');
      if (colon < 1) throw new IllegalArgumentException("--redis wants HOST:PORT, got " + redis);
      String chart = o.getOrDefault("chart", "log");
      o.remove("chart");
      if (!chart.equals("log") && !chart.equals("linear"))
        throw new IllegalArgumentException("--chart is log or linear");
      String projections = o.getOrDefault("projections", "here");
      o.remove("projections");
      if (!projections.equals("here") && !projections.equals("elsewhere")) {
        throw new IllegalArgumentException(
            "--projections is here or elsewhere, got " + projections);
      }
      String extra = o.remove("node-options");
      List<String> nodeOptions =
          extra == null
              ? List.of()
              : Arrays.stream(extra.trim().split("\\s+")).filter(x -> !x.isEmpty()).toList();
      if (!o.isEmpty())
        throw new IllegalArgumentException("unknown option --" + String.join(", --", o.keySet()));
      return new Settings(
          seconds,
          warmup,
          connections,
          reportDir,
          quick,
          raceUnits,
          hotUnits,
          items,
          unitsPerItem,
          retries,
          systems,
          workloads,
          pgUrl,
          redis.substring(0, colon),
          (int) whole(redis.substring(colon + 1), 6379, 1, 65535, "redis port"),
          chart.equals("log"),
          projections.equals("elsewhere"),
          profile,
          nodeOptions);
    }

    /** A bare flag: given with any value but "false". */
    private static boolean flag(String value) {
      return value != null && !value.equalsIgnoreCase("false");
    }

    Duration phase() {
      return Duration.ofNanos((long) (seconds * 1e9));
    }

    private static double decimal(String value, double otherwise, String name) {
      if (value == null) return otherwise;
      try {
        double d = Double.parseDouble(value);
        if (d > 0 && d <= 3600) return d;
      } catch (NumberFormatException e) {
        // below
      }
      throw new IllegalArgumentException(
          "--" + name + " wants seconds between 0 and 3600, got " + value);
    }

    private static long whole(String value, long otherwise, long min, long max, String name) {
      if (value == null) return otherwise;
      try {
        long n = Long.parseLong(value.replace("_", "").replace(",", ""));
        if (n >= min && n <= max) return n;
      } catch (NumberFormatException e) {
        // below
      }
      throw new IllegalArgumentException(
          "--" + name + " wants a whole number from " + min + " to " + max + ", got " + value);
    }
  }

  /** A goal and what this run measured: met, missed, or not measurable (null). */
  record Target(String goal, String measured, Boolean met) {}

  private final Settings settings;
  private final PrintStream out;
  private final CpuMeter cpu = new CpuMeter();

  /** Stockhold's group commit per workload, measured during its phase. */
  private final Map<String, GroupCommit> groupCommits = new LinkedHashMap<>();

  /** With --profile: where the stockhold node's CPU went during each of its phases. */
  private final Map<Workload, CpuProfile.Samples> profiles = new LinkedHashMap<>();

  /** Why --profile could not sample, once it could not; no phase tries again. */
  private String profileProblem;

  private final Workload read;
  private final Workload warmup;
  private final Workload warmupSoldOut;
  private final List<Workload> workloads;

  private FlashSaleBench(Settings settings, PrintStream out) {
    this.settings = settings;
    this.out = out;
    this.read = new Workload("read", "read path: GET one item", 1, settings.raceUnits());
    this.warmup = new Workload("warmup", "warm-up", 1, settings.hotUnits());
    this.warmupSoldOut = new Workload("warmup-sold-out", "warm-up, sold out", 1, 1);
    this.workloads =
        List.of(
            new Workload(
                "race",
                String.format(
                    Locale.ROOT, "last-unit race: 1 item × %,d units", settings.raceUnits()),
                1,
                settings.raceUnits()),
            new Workload(
                "hot",
                String.format(Locale.ROOT, "hot item: 1 item × %,d units", settings.hotUnits()),
                1,
                settings.hotUnits()),
            new Workload(
                "spread",
                String.format(
                    Locale.ROOT,
                    "%,d items × %,d units, uniform",
                    settings.items(),
                    settings.unitsPerItem()),
                settings.items(),
                settings.unitsPerItem()),
            new Workload(
                "pool",
                String.format(
                    Locale.ROOT,
                    "pool lines: %,d SKUs × %d locations × %,d units, uniform",
                    settings.items(),
                    StockholdContender.POOL_LOCATIONS,
                    Math.max(1, settings.unitsPerItem() / StockholdContender.POOL_LOCATIONS)),
                settings.items(),
                settings.unitsPerItem()));
  }

  /** {@code java -jar stockhold-bench.jar [options]}, as {@code bin/stockhold bench} runs it. */
  public static void main(String[] args) {
    Map<String, String> options = Main.options(List.of(args));
    // Logging starts here, on one thread, as the node's own commands do.
    LoggerFactory.getILoggerFactory();
    System.exit(run(options, System.out));
  }

  /** Runs the bench with these options (see the class comment) and returns the exit code. */
  public static int run(Map<String, String> options, PrintStream out) {
    if (options.containsKey("help")) {
      out.print("bench: the flash-sale bench; see README \"Why not a lock?\"\n" + OPTIONS);
      return 0;
    }
    Settings settings;
    try {
      settings = Settings.from(options, System.getenv());
    } catch (IllegalArgumentException e) {
      out.println("bench: " + e.getMessage());
      return 2;
    }
    try {
      return new FlashSaleBench(settings, out).run();
    } catch (Exception e) {
      out.println();
      out.println("bench could not run: " + e);
      for (Throwable c = e.getCause(); c != null; c = c.getCause()) out.println("  caused by " + c);
      return 2;
    }
  }

  private int run() throws Exception {
    long began = System.nanoTime();
    Files.createDirectories(settings.reportDir());
    BenchReport.Environment environment = BenchReport.Environment.here(settings);
    out.printf("Stockhold flash-sale bench: %s%n", environment.machine());
    out.printf("  %s%n", environment.settings());

    String redisProblem = probeRedis();
    if (redisProblem != null && settings.systems().contains("redis-lock")) {
      out.println("  redis-lock: skipped — " + redisProblem);
    }

    // The node's data directory holds the ERP events file (no broker here): over 100 MB after a
    // full run, and not kept.
    try (ScratchDir dataDir = ScratchDir.create("stockhold-bench");
        BenchDatabase db = BenchDatabase.create(settings.pgUrl());
        Baselines.SqlDatabase sql =
            new Baselines.SqlDatabase(db.url(), BenchDatabase.USER, BenchDatabase.PASSWORD)) {
      String postgres = postgresVersion(db);
      out.printf("  fresh database %s on %s%n", db.name(), postgres);
      Config nodeConfig = nodeConfig(db, dataDir.path(), settings);
      Phases phases = runPhases(db, sql, nodeConfig, redisProblem);

      List<PhaseResult> results = phases.results();
      JournalAudit.Report audit = null;
      if (settings.systems().stream().anyMatch(NodeShape::isStockhold)) {
        out.println("Node stopped. Auditing its journal as `verify` does ...");
        audit = JournalAudit.run(nodeConfig);
        results = scoreFromJournal(results, audit);
      }

      List<Target> targets = targets(results, phases.readPath());
      List<Target> books = audit == null ? List.of() : books(audit, phases.stockholdRuns());
      Duration took = Duration.ofNanos(System.nanoTime() - began);
      BenchReport report =
          new BenchReport(
              environment,
              phases.warmUp(),
              postgres,
              redisProblem,
              results,
              phases.readPath(),
              targets,
              books,
              groupCommits,
              profiles,
              descriptions(sql, redisProblem),
              took);
      report.print(out);
      report.write(settings.reportDir());
      out.printf(
          "Report: %s (results.md, sales-per-second.svg); the whole run took %s.%n",
          settings.reportDir().toAbsolutePath(), BenchReport.duration(took));

      boolean oversold =
          results.stream()
              .anyMatch(
                  r ->
                      NodeShape.isStockhold(r.system())
                          && r.score() != null
                          && r.score().oversold() > 0);
      boolean booksBalance = books.stream().allMatch(t -> Boolean.TRUE.equals(t.met()));
      return oversold || !booksBalance ? 1 : 0;
    }
  }

  /** What the phases measured; Stockhold's runs also feed the books-balance check. */
  private record Phases(
      List<PhaseResult> results,
      PhaseResult readPath,
      List<LoadRun.Result> stockholdRuns,
      String warmUp) {}

  /** The warm-up's shortest time, unless --warmup is shorter still. */
  private static final double MIN_WARM_UP_SECONDS = 20;

  private static String warmUpOutcome(String system, double seconds, JitQuiet quiet) {
    String took = String.format(Locale.ROOT, "%s warm-up: %.1f s", system, seconds);
    if (Double.isNaN(quiet.busyPercent())) return took + " (too short to judge the JIT)";
    return took
        + String.format(
            Locale.ROOT,
            "; the JIT compilers were compiling %.0f%% of a core over its last %d s%s",
            quiet.busyPercent(),
            JitQuiet.WINDOW_SECONDS,
            quiet.busyPercent() < JitQuiet.QUIET_PERCENT
                ? ""
                : " (not yet quiet: the phases measure them too)");
  }

  /**
   * Every system in turn, each on every workload. A Stockhold system starts its node first (as
   * {@code serve} runs it: a process of its own with the defaults), warms it up until its JIT is
   * quiet, and stops it after its phases; the first one also measures the read path.
   */
  private Phases runPhases(
      BenchDatabase db, Baselines.SqlDatabase sql, Config nodeConfig, String redisProblem)
      throws Exception {
    List<PhaseResult> results = new ArrayList<>();
    List<LoadRun.Result> stockholdRuns = new ArrayList<>();
    PhaseResult readPath = null;
    List<String> warmUps = new ArrayList<>();
    List<Contender> baselines = new ArrayList<>();
    // Lock keys carry the database's random name: no clash with anyone else's keys on that Redis.
    Baselines.RedisLock.Target redis =
        redisProblem == null
            ? new Baselines.RedisLock.Target(
                settings.redisHost(), settings.redisPort(), "stockhold-bench:" + db.name() + ":")
            : null;
    for (Contender c : Baselines.all(sql, settings.retries(), redis)) {
      if (settings.systems().contains(c.name())) baselines.add(c);
    }
    long stockholdShapes = settings.systems().stream().filter(NodeShape::isStockhold).count();
    // A warm-up per Stockhold system, one read path, and every system on its workloads.
    int phases = (int) stockholdShapes + (stockholdShapes > 0 ? 1 : 0);
    for (String system : settings.systems()) {
      for (Workload w : workloads()) {
        if (!NodeShape.isStockhold(system) || NodeShape.of(system).runs(w)) phases++;
      }
    }
    int n = 0;
    for (String system : settings.systems()) {
      if (!NodeShape.isStockhold(system)) {
        Optional<Contender> contender =
            baselines.stream().filter(c -> c.name().equals(system)).findFirst();
        for (Workload w : workloads()) {
          String label = label(++n, phases, w, system);
          if (w.key().equals("pool")) {
            // Pools are Stockhold's own: a table with a row per SKU has no such line to compare.
            results.add(PhaseResult.skipped(w, system, "no pools"));
            continue;
          }
          if (contender.isEmpty()) {
            out.printf("  %s  skipped: %s%n", label, redisProblem);
            results.add(PhaseResult.skipped(w, system, "skipped: " + redisProblem));
            continue;
          }
          results.add(phase(label, contender.get(), w, db));
        }
        continue;
      }
      NodeShape shape = NodeShape.of(system);
      String unavailable = shape.unavailable();
      if (unavailable != null) {
        out.printf("  %s: skipped — %s%n", system, unavailable);
        n++;
        for (Workload w : workloads()) {
          if (!shape.runs(w)) continue;
          ++n;
          results.add(PhaseResult.skipped(w, system, "skipped: " + unavailable));
        }
        continue;
      }
      try (NodeShape.Running nodes = shape.start(nodeConfig, settings, cpu, out)) {
        StockholdContender stockhold =
            new StockholdContender(
                system,
                shape.locationPrefix(),
                nodes.httpPorts(),
                apiKey(nodes.httpPorts(), nodeConfig.getString("stockhold.auth.master-key")));
        out.printf(
            Locale.ROOT,
            "Warming up %s's sales, sold-out answers and reads until its JIT is quiet, %.1f s at"
                + " most (not reported) ...%n",
            system,
            settings.warmupSeconds());
        stockhold.stock(warmup);
        stockhold.stock(warmupSoldOut);
        JitQuiet quiet =
            new JitQuiet(
                Math.min(MIN_WARM_UP_SECONDS, settings.warmupSeconds()), nodes::jitSeconds);
        LoadRun.Result warmed =
            LoadRun.run(
                label(++n, phases, warmup, system),
                system,
                warmup,
                settings.connections(),
                Duration.ofNanos((long) (settings.warmupSeconds() * 1e9)),
                quiet,
                () -> stockhold.openWarmUp(warmup, warmupSoldOut),
                cpu,
                out);
        stockholdRuns.add(warmed);
        String outcome = warmUpOutcome(system, warmed.seconds(), quiet);
        warmUps.add(outcome);
        out.println("  " + outcome);
        if (readPath == null) {
          stockhold.stock(read);
          db.analyze();
          String readLabel = label(++n, phases, read, system);
          LoadRun.Result reads =
              profiled(
                  read,
                  nodes,
                  () ->
                      LoadRun.run(
                          readLabel,
                          system,
                          read,
                          settings.connections(),
                          settings.phase(),
                          () -> stockhold.openReader(read),
                          cpu,
                          out));
          readPath = new PhaseResult(read, system, null, reads, null);
        }
        for (Workload w : workloads()) {
          if (!shape.runs(w)) continue;
          String label = label(++n, phases, w, system);
          GroupCommit before = nodes.groupCommit();
          PhaseResult result = phase(label, stockhold, w, db, nodes);
          groupCommits.put(system + " " + w.key(), nodes.groupCommit().since(before));
          results.add(result);
          if (result.ran()) stockholdRuns.add(result.run());
        }
      }
    }
    // The report reads workload by workload, each with every system.
    List<PhaseResult> ordered = new ArrayList<>();
    for (Workload w : workloads()) {
      for (PhaseResult r : results) if (r.workload().equals(w)) ordered.add(r);
    }
    return new Phases(
        ordered,
        readPath,
        stockholdRuns,
        warmUps.isEmpty()
            ? "no Stockhold warm-up (Stockhold not in --systems)"
            : String.join("; ", warmUps));
  }

  /** The workloads --workloads chose, in their order. */
  private List<Workload> workloads() {
    return workloads.stream().filter(w -> settings.workloads().contains(w.key())).toList();
  }

  /**
   * Stocks, runs and counts one system on one workload; a failure is a row, not the end of the run.
   */
  private PhaseResult phase(String label, Contender contender, Workload w, BenchDatabase db) {
    return phase(label, contender, w, db, null);
  }

  /** As above; for Stockhold, {@code nodes} are what --profile samples. */
  private PhaseResult phase(
      String label, Contender contender, Workload w, BenchDatabase db, NodeShape.Running nodes) {
    try {
      long stocking = System.nanoTime();
      contender.stock(w);
      double stocked = (System.nanoTime() - stocking) / 1e9;
      if (stocked > 2)
        out.printf(Locale.ROOT, "  %s  stocked %,d items in %.1f s%n", label, w.items(), stocked);
      db.analyze();
      LoadRun.Result run =
          profiled(
              w,
              nodes,
              () ->
                  LoadRun.run(
                      label,
                      contender.name(),
                      w,
                      settings.connections(),
                      settings.phase(),
                      () -> contender.open(w),
                      cpu,
                      out));
      if (run.firstError() != null) out.printf("    first error: %s%n", run.firstError());
      Optional<long[]> recorded = contender.recordedSales(w);
      contender.cleanUp(w);
      PhaseResult result = new PhaseResult(w, contender.name(), null, run, null);
      return recorded.map(result::scored).orElse(result);
    } catch (Exception e) {
      out.printf("%n  %s  failed: %s%n", label, e);
      return PhaseResult.skipped(w, contender.name(), "failed: " + e.getMessage());
    }
  }

  /**
   * Runs one phase; with --profile and the events-file node, samples the node's CPU during it. A
   * machine that cannot sample says why once and the bench goes on without.
   */
  private LoadRun.Result profiled(
      Workload w, NodeShape.Running nodes, Callable<LoadRun.Result> phase) throws Exception {
    CpuProfile profile = null;
    boolean sampled =
        settings.profile()
            && nodes != null
            && nodes.first().name().equals(NodeShape.EVENTS_FILE)
            && profileProblem == null;
    if (sampled) {
      try {
        profile = CpuProfile.start(nodes.first().pid());
      } catch (IOException e) {
        profileProblem = e.getMessage();
        out.printf("%n  --profile: no samples, %s%n", profileProblem);
      }
    }
    try {
      return phase.call();
    } finally {
      if (profile != null) {
        profiles.put(
            w, profile.stop(settings.reportDir().resolve("profile-" + w.key() + ".collapsed")));
      }
    }
  }

  private static String label(int n, int of, Workload w, String system) {
    return String.format(Locale.ROOT, "[%2d/%d] %-6s · %-18s", n, of, w.key(), system);
  }

  /** Stockhold's units sold per item are the holds its journal placed (each of one unit). */
  private List<PhaseResult> scoreFromJournal(List<PhaseResult> results, JournalAudit.Report audit) {
    Map<String, long[]> holds = new HashMap<>();
    for (String system : settings.systems()) {
      if (!NodeShape.isStockhold(system)) continue;
      for (Workload w : workloads) {
        holds.put(NodeShape.of(system).locationPrefix() + w.key(), new long[w.items()]);
      }
    }
    for (StockAudit item : audit.items()) {
      String entityId = item.persistenceId().substring(item.persistenceId().indexOf('|') + 1);
      int slash = entityId.indexOf('/');
      String location = entityId.substring(0, slash);
      // A pool workload's units are at its pool's locations, <pool>-1 … <pool>-N: summed per SKU.
      String pool = StockholdContender.poolOf(location);
      long[] perItem = holds.get(pool != null ? pool : location);
      String sku = entityId.substring(slash + 1);
      if (perItem != null && sku.startsWith("item-"))
        perItem[Integer.parseInt(sku.substring(5))] += item.holdsPlaced();
    }
    return results.stream()
        .map(
            r ->
                NodeShape.isStockhold(r.system()) && r.ran()
                    ? r.scored(
                        holds.get(NodeShape.of(r.system()).locationPrefix() + r.workload().key()))
                    : r)
        .toList();
  }

  /** The targets of issue #4, each judged on this run's numbers. */
  private List<Target> targets(List<PhaseResult> results, PhaseResult readPath) {
    List<Target> targets = new ArrayList<>();
    Optional<PhaseResult> hot = find(results, "hot", "stockhold");
    Optional<PhaseResult> conditional = find(results, "hot", "conditional-update");
    Optional<PhaseResult> race = find(results, "race", "stockhold");
    double reads = readPath == null ? Double.NaN : readPath.answersPerSecond();
    int c = settings.connections();

    String goal;
    for (String system : List.of(NodeShape.EVENTS_FILE, NodeShape.RABBITMQ)) {
      if (!settings.systems().contains(system)) continue;
      Optional<PhaseResult> spread = find(results, "spread", system);
      Optional<PhaseResult> sameWork = find(results, "spread", "sql-transaction");
      goal =
          system
              + " spread sales/s ≥ the same work in one SQL transaction (both at "
              + c
              + " connections)";
      if (spread.isPresent() && sameWork.isPresent()) {
        double ratio = spread.get().salesPerSecond() / sameWork.get().salesPerSecond();
        targets.add(
            new Target(
                goal,
                String.format(
                    Locale.ROOT,
                    "%,.0f/s vs %,.0f/s = %.2f× (moonshot 2×)",
                    spread.get().salesPerSecond(),
                    sameWork.get().salesPerSecond(),
                    ratio),
                ratio >= 1));
      } else if (settings.workloads().contains("spread")) {
        targets.add(new Target(goal, "not measured", null));
      }
      Optional<PhaseResult> hotOf = find(results, "hot", system);
      goal = system + " hot-item sales/s ≥ 10× conditional UPDATE (both at " + c + " connections)";
      if (hotOf.isPresent() && conditional.isPresent()) {
        double ratio = hotOf.get().salesPerSecond() / conditional.get().salesPerSecond();
        targets.add(
            new Target(
                goal,
                String.format(
                    Locale.ROOT,
                    "%,.0f/s vs %,.0f/s = %.1f×",
                    hotOf.get().salesPerSecond(),
                    conditional.get().salesPerSecond(),
                    ratio),
                ratio >= 10));
      } else if (settings.workloads().contains("hot")) {
        targets.add(new Target(goal, "not measured", null));
      }
      if (hotOf.isPresent()) {
        PhaseResult h = hotOf.get();
        targets.add(
            new Target(
                system + " hot-item p99 ≤ 50 ms",
                String.format(
                    Locale.ROOT,
                    "p99 %.1f ms (p50 %.1f, p99.9 %.1f)",
                    h.run().latencyMillis(0.99),
                    h.run().latencyMillis(0.50),
                    h.run().latencyMillis(0.999)),
                h.run().latencyMillis(0.99) <= 50));
      }
    }

    Optional<PhaseResult> pooled = find(results, "pool", NodeShape.EVENTS_FILE);
    Optional<PhaseResult> located = find(results, "spread", NodeShape.EVENTS_FILE);
    goal = "a pool line costs ≤ 2× a location line (pool vs spread reservations/s)";
    if (pooled.isPresent() && located.isPresent()) {
      double cost = located.get().salesPerSecond() / pooled.get().salesPerSecond();
      targets.add(
          new Target(
              goal,
              String.format(
                  Locale.ROOT,
                  "%,.0f/s with pool lines vs %,.0f/s with location lines = %.2f× the cost",
                  pooled.get().salesPerSecond(),
                  located.get().salesPerSecond(),
                  cost),
              cost <= 2));
    } else if (settings.workloads().contains("pool")) {
      targets.add(new Target(goal, "not measured", null));
    }

    goal = "Stockhold hot-item sales/s ≥ 50% of its read path";
    if (hot.isPresent() && readPath != null) {
      double share = hot.get().salesPerSecond() / reads;
      targets.add(
          new Target(
              goal,
              String.format(
                  Locale.ROOT,
                  "%,.0f sales/s vs %,.0f reads/s = %.0f%%",
                  hot.get().salesPerSecond(),
                  reads,
                  share * 100),
              share >= 0.5));
    } else {
      targets.add(new Target(goal, "not measured", null));
    }

    goal = "Stockhold sold-out answers/s ≥ 80% of its read path";
    if (race.isPresent() && race.get().score() != null && readPath != null) {
      double rate = race.get().score().soldOutAnswersPerSecond();
      targets.add(
          Double.isNaN(rate)
              ? new Target(
                  goal, "the race item never sold out, or sold out too late to measure", false)
              : new Target(
                  goal,
                  String.format(
                      Locale.ROOT,
                      "%,.0f sold-out/s vs %,.0f reads/s = %.0f%%",
                      rate,
                      reads,
                      rate / reads * 100),
                  rate / reads >= 0.8));
    } else {
      targets.add(new Target(goal, "not measured", null));
    }

    for (String system : List.of(NodeShape.EVENTS_FILE, NodeShape.RABBITMQ, NodeShape.CLUSTER)) {
      if (!settings.systems().contains(system)) continue;
      goal = system + " oversold 0 in every workload (from its journal)";
      targets.add(oversoldTarget(goal, results, system, true));
    }
    goal = "the naive read-then-write baseline shows its oversell";
    targets.add(oversoldTarget(goal, results, "naive", false));
    return targets;
  }

  private Target oversoldTarget(
      String goal, List<PhaseResult> results, String system, boolean wantZero) {
    List<String> parts = new ArrayList<>();
    long total = 0;
    boolean all = true;
    for (Workload w : workloads()) {
      if (NodeShape.isStockhold(system) && !NodeShape.of(system).runs(w)) continue;
      Optional<PhaseResult> r = find(results, w.key(), system).filter(p -> p.score() != null);
      if (r.isEmpty()) {
        all = false;
        parts.add(w.key() + " n/a");
        continue;
      }
      total += r.get().score().oversold();
      parts.add(String.format(Locale.ROOT, "%s %,d", w.key(), r.get().score().oversold()));
    }
    String measured = "oversold: " + String.join(", ", parts);
    // Unmeasured workloads leave the verdict open unless the measured ones already decide it.
    Boolean met;
    if (wantZero) met = total > 0 ? Boolean.FALSE : all ? Boolean.TRUE : null;
    else met = total > 0 ? Boolean.TRUE : all ? Boolean.FALSE : null;
    return new Target(goal, measured, met);
  }

  /**
   * Whether Stockhold's books balance: the journal audit, and acknowledged sales against holds
   * placed.
   */
  private static List<Target> books(JournalAudit.Report audit, List<LoadRun.Result> stockholdRuns) {
    long acknowledged = stockholdRuns.stream().mapToLong(LoadRun.Result::sold).sum();
    long unknown = stockholdRuns.stream().mapToLong(LoadRun.Result::unknown).sum();
    long placed = audit.holdsPlaced();
    long events = audit.items().stream().mapToLong(StockAudit::events).sum();
    List<Target> books = new ArrayList<>();
    books.add(
        new Target(
            "journal audit (`verify`): every invariant holds at every event",
            String.format(
                Locale.ROOT,
                "%,d stock items, %,d events, %,d violations%s",
                audit.items().size(),
                events,
                audit.violations().size(),
                audit.clean() ? "" : "; first: " + audit.violations().get(0).what()),
            audit.clean()));
    books.add(
        new Target(
            "holds placed (journal) ≥ sales acknowledged (201 Created)",
            String.format(Locale.ROOT, "placed %,d, acknowledged %,d", placed, acknowledged),
            placed >= acknowledged));
    books.add(
        new Target(
            "holds placed beyond those acknowledged ≤ requests whose outcome the buyer never"
                + " learned",
            String.format(Locale.ROOT, "%,d beyond ≤ %,d unknown", placed - acknowledged, unknown),
            placed - acknowledged <= unknown));
    return books;
  }

  private static Optional<PhaseResult> find(
      List<PhaseResult> results, String workload, String system) {
    return results.stream()
        .filter(r -> r.workload().key().equals(workload) && r.system().equals(system) && r.ran())
        .findFirst();
  }

  /** How each system sells, for the report, in the order of the table. */
  private Map<String, String> descriptions(Baselines.SqlDatabase sql, String redisProblem) {
    Map<String, String> d = new LinkedHashMap<>();
    for (Contender c :
        Baselines.all(
            sql,
            settings.retries(),
            new Baselines.RedisLock.Target(settings.redisHost(), settings.redisPort(), ""))) {
      d.put(c.name(), c.approach());
    }
    Map<String, String> ordered = new LinkedHashMap<>();
    for (String system : List.of(NodeShape.EVENTS_FILE, NodeShape.RABBITMQ, NodeShape.CLUSTER)) {
      ordered.put(
          system,
          new StockholdContender(system, "", List.of(0), "").approach()
              + ". "
              + NodeShape.of(system).deployment());
    }
    ordered.putAll(d);
    if (redisProblem != null)
      ordered.computeIfPresent("redis-lock", (k, v) -> v + " — skipped: " + redisProblem);
    ordered.keySet().retainAll(settings.systems());
    return ordered;
  }

  /** Null when Redis answers PING, else why not. */
  private String probeRedis() {
    if (!settings.systems().contains("redis-lock")) return "not selected";
    try (RespClient redis = new RespClient(settings.redisHost(), settings.redisPort(), 2000)) {
      String pong = redis.ping();
      return "PONG".equals(pong)
          ? null
          : "Redis at " + settings.redisHost() + ":" + settings.redisPort() + " answered " + pong;
    } catch (IOException e) {
      return "Redis not reachable at "
          + settings.redisHost()
          + ":"
          + settings.redisPort()
          + " ("
          + e.getMessage()
          + ")";
    }
  }

  private static String postgresVersion(BenchDatabase db) throws Exception {
    try (Connection c =
            DriverManager.getConnection(db.url(), BenchDatabase.USER, BenchDatabase.PASSWORD);
        Statement s = c.createStatement()) {
      String host = db.url().replaceFirst("jdbc:postgresql://([^/]+)/.*", "$1");
      return "PostgreSQL "
          + show(s, "server_version").split(" ")[0]
          + " at "
          + host
          + ", autovacuum "
          + show(s, "autovacuum");
    }
  }

  private static String show(Statement s, String setting) throws SQLException {
    try (ResultSet rs = s.executeQuery("SHOW " + setting)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /**
   * A node the way the tests start one: loopback only, free ports, journal in the bench database, a
   * master key of its own. The projections run on it, or (--projections elsewhere) only on nodes
   * with a role it lacks.
   */
  private static Config nodeConfig(BenchDatabase db, Path dataDir, Settings chosen)
      throws IOException {
    Map<String, Object> settings = new HashMap<>(projectionPlacement(chosen));
    settings.put("stockhold.db.url", db.url());
    settings.put("stockhold.db.user", BenchDatabase.USER);
    settings.put("stockhold.db.password", BenchDatabase.PASSWORD);
    settings.put("stockhold.data-dir", dataDir.toString());
    // A node on PostgreSQL will not start without a master key; the bench's node lives for one run,
    // so a random one, known only to this process, does.
    settings.put("stockhold.auth.master-key", MasterKey.generate());
    settings.put("stockhold.http.interface", "127.0.0.1");
    settings.put("stockhold.http.port", 0);
    settings.put("pekko.remote.artery.canonical.hostname", "127.0.0.1");
    settings.put("pekko.remote.artery.canonical.port", 0);
    settings.put("pekko.management.http.hostname", "127.0.0.1");
    settings.put("pekko.management.http.port", freePort());
    settings.put("pekko.coordinated-shutdown.exit-jvm", "off");
    settings.put("pekko.loglevel", "WARNING");
    return ConfigFactory.parseMap(settings).withFallback(ConfigFactory.load());
  }

  /** Set either way, so that a STOCKHOLD_PROJECTIONS_ROLE in the environment does not decide it. */
  static Map<String, Object> projectionPlacement(Settings chosen) {
    return chosen.projectionsElsewhere()
        ? Map.of("stockhold.projections.role", "projections", "pekko.cluster.roles", List.of())
        : Map.of("stockhold.projections.role", "");
  }

  /**
   * The buyers' key, made with the master key through {@code POST /v1/keys}: the scopes a checkout
   * needs, and stock:write for stocking the items between phases.
   */
  private static String apiKey(List<Integer> httpPorts, String masterKey) throws Exception {
    HttpRequest create =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPorts.get(0) + "/v1/keys"))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + masterKey)
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"name\":\"bench buyers\",\"scopes\":[\"reservations:write\","
                        + "\"reservations:read\",\"stock:read\",\"stock:write\"]}"))
            .build();
    try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      HttpResponse<String> created = http.send(create, HttpResponse.BodyHandlers.ofString());
      if (created.statusCode() != 201) {
        throw new IllegalStateException(
            "the node would not make the buyers' key: "
                + created.statusCode()
                + " "
                + created.body());
      }
      String key = new ObjectMapper().readTree(created.body()).path("key").asText();
      for (int port : httpPorts) awaitKnown(http, port, key);
      return key;
    }
  }

  /**
   * Waits until the node on {@code httpPort} honours {@code key}: a key made on one node reaches
   * the others at their next read of the key table (stockhold.auth.refresh-interval), so a buyer
   * sent to another node at once could be turned away with 401.
   */
  private static void awaitKnown(HttpClient http, int httpPort, String key) throws Exception {
    HttpRequest probe =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + httpPort + "/v1/stock/bench-key-check/none"))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + key)
            .GET()
            .build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 401) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the node on port " + httpPort + " did not learn the buyers' key within 30 s");
      }
      Thread.sleep(100);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
