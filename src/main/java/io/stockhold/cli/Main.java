package io.stockhold.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.stockhold.access.MasterKey;
import io.stockhold.node.StockholdNode;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.LoggerFactory;

/** {@code stockhold serve | demo | verify | keys | chaos}; see the README. */
public final class Main {

  private static final String USAGE =
      """
      usage: stockhold <command> [options]

        serve  [--config FILE]      run a node (embedded H2 under ./data unless STOCKHOLD_DB_URL is set)
        cluster start|stop|restart|status
                                    (bin/stockhold) the local three-node cluster of conf/node1..3.conf
        demo   [--units N] [--buyers N]
                                    a flash sale in one process over real HTTP, then verify the journal
        keys   create|list|revoke [--name N] [--scopes s1,s2] [--locations l1,l2] [--id KEY_ID] [...]
                                    API keys of a running node (keys --help: every option); the master key
                                    from STOCKHOLD_MASTER_KEY, never an argument
        chaos  [--minutes N] [--quick] [--faults kill,pause,partition,db-restart,broker-restart,restart-hot]
               [--report DIR] [--db-url URL] [--amqp-uri URI] [--keep]
                                    three nodes under faults with shoppers recording every call, then
                                    the checks (journal, acknowledged writes, ERP stream, read model);
                                    exit 1 when one fails
        verify [--config FILE] [--limit N]
                                    replay the journal, check every invariant; exit 1 on a violation, 2 when unreadable
        bench  [--seconds N] [--connections N] [--report DIR] [--quick] [...]   (bench --help: every option)
                                    (bin/stockhold, from target/stockhold-bench.jar) Stockhold against the usual SQL and Redis ways to sell one unit,
                                    on PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379)
      """;

  private Main() {}

  /** The options each command takes; bench checks its own (bench --help). */
  static final Map<String, Set<String>> OPTIONS =
      Map.of(
          "serve", Set.of("config"),
          "verify", Set.of("config", "limit"),
          "demo", Set.of("units", "buyers"),
          "chaos", Set.of("minutes", "quick", "faults", "report", "db-url", "amqp-uri", "keep"));

  /**
   * The least each number takes: verify --limit 0 prints the totals and violations without the item
   * table.
   */
  private static final Map<String, Integer> LEAST =
      Map.of("limit", 0, "units", 1, "buyers", 1, "minutes", 1);

  /**
   * Missing-table SQL states: PostgreSQL's, and H2's for a database without that table or with none
   * at all.
   */
  private static final Set<String> NO_SUCH_TABLE = Set.of("42P01", "42S02", "42S04");

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].equals("help") || args[0].equals("--help")) {
      System.out.print(USAGE);
      System.exit(args.length == 0 ? 2 : 0);
    }
    String command = args[0];
    if (command.equals("keys")) {
      // keys <action> [options]: the action is a word of its own.
      if (args.length < 2 || args[1].startsWith("--")) {
        System.out.print(KeysCommand.USAGE);
        System.exit(args.length >= 2 && args[1].equals("--help") ? 0 : 2);
      }
      Map<String, String> keyOptions = options(List.of(args).subList(2, args.length));
      if (keyOptions.containsKey("help")) {
        System.out.print(KeysCommand.USAGE);
        System.exit(0);
      }
      System.exit(KeysCommand.run(args[1], keyOptions, System.getenv(), System.out));
    }
    Map<String, String> options = options(List.of(args).subList(1, args.length));
    if (OPTIONS.containsKey(command)) {
      if (options.containsKey("help")) {
        System.out.print(USAGE);
        System.exit(0);
      }
      Optional<String> problem = problem(command, options);
      if (problem.isPresent()) {
        System.err.print(problem.get() + "\n" + USAGE);
        System.exit(2);
      }
    }
    // Logging starts here, on one thread: a library logging from its own threads while it starts
    // would otherwise make SLF4J replay those lines with a three-line warning first.
    LoggerFactory.getILoggerFactory();
    switch (command) {
      case "serve" ->
          serve(
              ConfigFactory.parseString("pekko.coordinated-shutdown.exit-jvm = on")
                  .withFallback(config(options)));
      case "verify" -> verify(config(options), count(options, "limit", 100));
      case "demo" ->
          System.exit(
              FlashSaleDemo.run(
                  count(options, "units", 20), count(options, "buyers", 600), System.out));
      case "chaos" -> System.exit(ChaosCommand.run(options, System.out));
      case "bench" -> {
        // bin/stockhold runs the bench from its own jar; this one holds no bench.
        System.err.println(
            "bench is not part of this jar: run bin/stockhold bench (target/stockhold-bench.jar)");
        System.exit(2);
      }
      default -> {
        System.err.print("unknown command " + command + "\n" + USAGE);
        System.exit(2);
      }
    }
  }

  /** What is wrong with a command's options, if anything: one it does not take, or a bad number. */
  static Optional<String> problem(String command, Map<String, String> options) {
    for (String name : options.keySet()) {
      if (!OPTIONS.get(command).contains(name))
        return Optional.of(command + " takes no option --" + name);
      if (LEAST.containsKey(name) && number(name, options.get(name)).isEmpty()) {
        String wanted = "--" + name + " must be a whole number of at least " + LEAST.get(name);
        // A bare option reads as "true" (see options): then the number is missing, not wrong.
        return Optional.of(
            options.get(name).equals("true") ? wanted : wanted + ", not " + options.get(name));
      }
    }
    return Optional.empty();
  }

  private static int count(Map<String, String> options, String name, int otherwise) {
    return options.containsKey(name) ? number(name, options.get(name)).orElseThrow() : otherwise;
  }

  private static Optional<Integer> number(String name, String value) {
    try {
      int n = Integer.parseInt(value);
      return n >= LEAST.get(name) ? Optional.of(n) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * Replays the journal and prints the audit; exit 1 on a violation, 2 when the journal cannot be
   * read at all (most often the embedded store, which one process at a time may open).
   */
  private static void verify(Config config, int limit) {
    JournalAudit.Report report;
    try {
      report = JournalAudit.run(config);
    } catch (Exception e) {
      unreadable(e).forEach(System.err::println);
      System.exit(2);
      return;
    }
    JournalAudit.print(report, limit, System.out);
    System.exit(report.clean() ? 0 : 1);
  }

  /**
   * What verify says when it cannot read the journal: the cause in one line, and a hint where it is
   * a known one.
   */
  static List<String> unreadable(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null) cause = cause.getCause();
    String message = String.valueOf(cause.getMessage());
    // The drivers add the statement (H2) or its position (PostgreSQL) on lines of their own.
    String first = message.lines().findFirst().orElse("").replaceFirst("; SQL statement:$", "");
    List<String> lines = new ArrayList<>(List.of("verify: cannot read the journal: " + first));
    if (cause instanceof NoSuchFileException
        || cause instanceof SQLException sql && NO_SUCH_TABLE.contains(sql.getSQLState())) {
      lines.add("  This store has no journal yet: a node creates its tables when it first starts.");
    } else if (message.contains("is locked") || message.contains("already in use")) {
      // H2's words for a file another process has open.
      lines.add("  The embedded store is open in a node: stop the node, then verify.");
    }
    return lines;
  }

  private static void serve(Config config) throws Exception {
    StockholdNode node;
    try {
      node = StockholdNode.start(config);
    } catch (MasterKey.Refused e) {
      System.err.println("serve: " + e.getMessage());
      System.exit(2);
      return;
    }
    // Stops on SIGTERM/SIGINT through coordinated shutdown (leaving the cluster first).
    node.system().getWhenTerminated().toCompletableFuture().get();
    System.exit(0);
  }

  /** The application config, with {@code --config FILE} laid over it. */
  static Config config(Map<String, String> options) {
    String file = options.get("config");
    if (file == null) return ConfigFactory.load();
    Path path = Path.of(file);
    if (!Files.isRegularFile(path)) {
      System.err.println("no config file " + path.toAbsolutePath());
      System.exit(2);
    }
    return ConfigFactory.load(
        ConfigFactory.parseFile(path.toFile()).withFallback(ConfigFactory.defaultApplication()));
  }

  /**
   * {@code --name value} pairs; a bare {@code --flag} reads as {@code true}. Exits 2 on a word that
   * is no option.
   */
  public static Map<String, String> options(List<String> rest) {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i < rest.size(); i++) {
      String arg = rest.get(i);
      if (!arg.startsWith("--")) {
        System.err.print("bad option " + arg + "\n" + USAGE);
        System.exit(2);
      }
      // A bare flag (--quick) means true.
      boolean bare = i + 1 >= rest.size() || rest.get(i + 1).startsWith("--");
      options.put(arg.substring(2), bare ? "true" : rest.get(++i));
    }
    return options;
  }
}
