package io.stockhold.ops;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.stockhold.ops.bench.FlashSaleBench;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code stockhold serve | demo | verify}; see the README. */
public final class Main {

  private static final String USAGE = """
      usage: stockhold <command> [options]

        serve  [--config FILE]      run a node (embedded H2 under ./data unless STOCKHOLD_DB_URL is set)
        cluster start|stop|restart|status
                                    (bin/stockhold) the local three-node cluster of conf/node1..3.conf
        demo   [--units N] [--buyers N]
                                    a flash sale in one process over real HTTP, then verify the journal
        verify [--config FILE] [--limit N]
                                    replay the journal, check every invariant; exit 1 on a violation
        bench  [--seconds N] [--connections N] [--report DIR] [--quick] [...]   (bench --help: every option)
                                    Stockhold against the usual SQL and Redis ways to sell one unit,
                                    on PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379)
      """;

  private Main() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].equals("help") || args[0].equals("--help")) {
      System.out.print(USAGE);
      System.exit(args.length == 0 ? 2 : 0);
    }
    Map<String, String> options = options(args);
    switch (args[0]) {
      case "serve" -> serve(ConfigFactory.parseString("pekko.coordinated-shutdown.exit-jvm = on")
          .withFallback(config(options)));
      case "verify" -> {
        JournalAudit.Report report = JournalAudit.run(config(options));
        JournalAudit.print(report, Integer.parseInt(options.getOrDefault("limit", "100")), System.out);
        System.exit(report.clean() ? 0 : 1);
      }
      case "demo" -> System.exit(FlashSaleDemo.run(
          Integer.parseInt(options.getOrDefault("units", "20")),
          Integer.parseInt(options.getOrDefault("buyers", "600")),
          System.out));
      case "bench" -> System.exit(FlashSaleBench.run(options, System.out));
      default -> {
        System.err.print("unknown command " + args[0] + "\n" + USAGE);
        System.exit(2);
      }
    }
  }

  private static void serve(Config config) throws Exception {
    StockholdNode node = StockholdNode.start(config);
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
    return ConfigFactory.load(ConfigFactory.parseFile(path.toFile()).withFallback(ConfigFactory.defaultApplication()));
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> options = new HashMap<>();
    List<String> rest = new ArrayList<>(List.of(args).subList(1, args.length));
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
