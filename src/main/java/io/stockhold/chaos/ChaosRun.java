package io.stockhold.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.stockhold.access.MasterKey;
import io.stockhold.chaos.ChaosChecks.Check;
import io.stockhold.chaos.ChaosChecks.FaultWindow;
import io.stockhold.chaos.History.Line;
import io.stockhold.chaos.History.Operation;
import io.stockhold.readmodel.StockJournal;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code stockhold chaos}: three nodes of this build against a PostgreSQL and a RabbitMQ of the
 * run's own, shoppers recording every call, a nemesis injecting each fault in turn, then the checks
 * over the history, the journal, the ERP stream and the read model. Writes {@code history.jsonl}
 * and {@code report.md}; exit 0 only when checks 1–5 hold.
 */
public final class ChaosRun {

  /** What a run is asked to do. */
  public record Settings(
      Duration duration,
      boolean quick,
      List<String> faults,
      Path report,
      String dbUrl,
      String amqpUri,
      boolean keep,
      Path jar) {}

  /** Every fault a run knows, in the order it takes them. */
  public static final List<String> FAULTS = Nemesis.FAULTS;

  /** Membership must be quiet this long before the split-brain resolver downs a node. */
  static final Duration STABLE_AFTER = Duration.ofSeconds(5);

  private static final int SHOPPERS = 12;
  private static final Duration SETTLE = Duration.ofSeconds(3);

  /** How long after the load stops every write must be settled in the journal. */
  private static final Duration SETTLED_WITHIN = Duration.ofSeconds(90);

  private final Settings settings;
  private final PrintStream out;
  private final String runId = UUID.randomUUID().toString().substring(0, 8);

  /** Three locations of eight items, named after the run: a shared database holds other runs'. */
  private final Shoppers.Catalogue catalogue =
      new Shoppers.Catalogue(
          List.of("chaos-" + runId + "-a", "chaos-" + runId + "-b", "chaos-" + runId + "-c"),
          8,
          40);

  /** The item of the restart-hot fault, at a location of its own. */
  private final Line hotItem = new Line("chaos-" + runId + "-hot", "hot", 1);

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  private ChaosRun(Settings settings, PrintStream out) {
    this.settings = settings;
    this.out = out;
  }

  /** Runs the whole thing; the exit status: 0 when checks 1–5 hold, 1 when one fails. */
  public static int run(Settings settings, PrintStream out) throws Exception {
    return new ChaosRun(settings, out).run();
  }

  private int run() throws Exception {
    Path dir = settings.report().toAbsolutePath();
    Files.createDirectories(dir);
    out.printf("chaos run %s: report in %s%n", runId, dir);
    OwnPostgres postgres = null;
    OwnRabbit rabbit = null;
    ChaosNodes nodes = null;
    try {
      String dbUrl = settings.dbUrl();
      String dbUser = System.getenv().getOrDefault("STOCKHOLD_DB_USER", "postgres");
      if (dbUrl == null) {
        out.println("starting the run's own PostgreSQL ...");
        postgres = OwnPostgres.create(out);
        dbUrl = postgres.jdbcUrl();
        dbUser = postgres.user();
      }
      String amqpUri = settings.amqpUri();
      if (amqpUri == null) {
        out.println("starting the run's own RabbitMQ ...");
        rabbit = OwnRabbit.start(dir.resolve("rabbitmq"), out);
        amqpUri = rabbit.amqpUri();
      }
      String prefix = "stockhold-chaos-" + runId + ".";
      String checkQueue = prefix + "check";
      declareCheckQueue(amqpUri, prefix + "inventory", checkQueue);

      String masterKey = MasterKey.generate();
      Map<String, String> env = new LinkedHashMap<>();
      env.put("STOCKHOLD_DB_URL", dbUrl);
      env.put("STOCKHOLD_DB_USER", dbUser);
      env.put("STOCKHOLD_DB_PASSWORD", "");
      env.put("STOCKHOLD_AMQP_URI", amqpUri);
      env.put("STOCKHOLD_MASTER_KEY", masterKey);
      env.put("STOCKHOLD_SBR_STABLE_AFTER", STABLE_AFTER.toSeconds() + "s");
      Map<String, String> properties = new LinkedHashMap<>();
      properties.put("stockhold.erp.exchange", prefix + "inventory");
      properties.put("stockhold.erp.erp-queue", prefix + "erp");
      properties.put("stockhold.erp.receipts-queue", prefix + "receipts");
      properties.put("stockhold.erp.dead-letter-exchange", prefix + "dead-letter");
      properties.put("stockhold.erp.dead-letter-queue", prefix + "receipts.dead");
      out.println("starting three nodes ...");
      nodes =
          ChaosNodes.start(
              new ChaosNodes.Launch(
                  settings.jar(),
                  dir,
                  env,
                  properties,
                  List.of("--sun-misc-unsafe-memory-access=allow", "-Xms256m", "-Xmx1g")),
              out);
      String[] key = apiKey(nodes, masterKey);

      Path historyFile = dir.resolve("history.jsonl");
      List<FaultWindow> windows = new ArrayList<>();
      Instant started;
      Shoppers shoppers = null;
      try (History history = History.create(historyFile)) {
        shoppers = new Shoppers(runId, key[0], key[1], nodes.httpPorts(), catalogue, history);
        shoppers.stockAll();
        if (settings.faults().contains("restart-hot")) shoppers.stock(hotItem, 1_000_000);
        out.printf(
            "stocked %d items with %d units each; shoppers start (%s)%n",
            catalogue.items().size(), catalogue.initialUnits(), Shoppers.MIX);
        started = Instant.now();
        Instant loadEnds =
            started.plus(settings.quick() ? Duration.ofMinutes(4) : settings.duration());
        long maxOperations = settings.quick() ? 200_000 : 5_000_000;
        Shoppers load = shoppers;
        Thread shopping =
            Thread.ofPlatform()
                .name("shoppers")
                .start(
                    () -> {
                      try {
                        load.run(SHOPPERS, loadEnds, maxOperations);
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                    });
        Thread progress = progress(shoppers, started);
        // A quick run holds fewer units of the hot item, to stay within its few minutes.
        Nemesis.HotItem hot =
            settings.quick()
                ? new Nemesis.HotItem(
                    hotItem,
                    catalogue.items().getFirst(),
                    20_000,
                    Duration.ofSeconds(20),
                    shoppers,
                    key[0])
                : new Nemesis.HotItem(
                    hotItem,
                    catalogue.items().getFirst(),
                    100_000,
                    Duration.ofSeconds(90),
                    shoppers,
                    key[0]);
        Nemesis nemesis = new Nemesis(nodes, postgres, rabbit, STABLE_AFTER, hot, out);
        Instant faultsEnd = settings.quick() ? null : started.plus(settings.duration());
        int round = 0;
        do {
          for (String fault : settings.faults()) {
            String why = nemesis.unavailable(fault);
            if (why != null) {
              if (round == 0) out.printf("  fault %s skipped: %s%n", fault, why);
              continue;
            }
            Thread.sleep(SETTLE.toMillis());
            windows.add(nemesis.inject(fault));
            if (faultsEnd != null && Instant.now().isAfter(faultsEnd)) break;
          }
          round++;
        } while (faultsEnd != null && Instant.now().isBefore(faultsEnd));
        Thread.sleep(SETTLE.toMillis());
        load.stop();
        shopping.join();
        progress.interrupt();
        progress.join();
      } finally {
        if (shoppers != null) shoppers.close();
      }
      out.printf(
          Locale.ROOT,
          "load stopped after %,d operations (%,d without a deciding answer); checking ...%n",
          shoppers.operations(),
          shoppers.unknownOutcomes());

      List<Operation> history = History.read(historyFile);
      Settled settled = awaitSettledWrites(history, dbUrl, dbUser);
      Convergence convergence = awaitReadModel(nodes, key[0]);

      // The journal as the writes settled in it; what it gained since (holds lapsing) changes
      // nothing any check looks for.
      ChaosChecks.Journal journal = settled.journal();
      Set<String> ids = new HashSet<>();
      long duplicates = drainCheckQueue(amqpUri, checkQueue, journal, ids);

      List<Check> checks =
          List.of(
              ChaosChecks.invariants(journal),
              settled
                  .writes()
                  .withNote(
                      settled.after() == null
                          ? "not settled within " + SETTLED_WITHIN.toSeconds() + " s of quiet"
                          : String.format(
                              Locale.ROOT,
                              "settled %.1f s after the load stopped",
                              settled.after().toMillis() / 1000.0)),
              ChaosChecks.committedWithinStocked(journal),
              ChaosChecks.erpComplete(journal, ids, duplicates),
              ChaosChecks.readModel(convergence.after(), convergence.detail()),
              ChaosChecks.availability(history, windows));
      boolean pass = checks.stream().allMatch(c -> c.pass() || c.reportOnly());
      long secondWriter = duplicateKeyRefusals(nodes);
      writeReport(dir, dbUrl, started, windows, checks, secondWriter, shoppers, pass);
      out.println();
      Files.readAllLines(dir.resolve("report.md")).stream()
          .filter(l -> l.startsWith("fault ") || l.startsWith("check ") || l.startsWith("result"))
          .forEach(out::println);
      return pass ? 0 : 1;
    } finally {
      if (nodes != null) nodes.close();
      if (!settings.keep()) {
        if (rabbit != null) rabbit.close();
        if (postgres != null) postgres.close();
      } else {
        if (rabbit != null) rabbit.keep();
        if (postgres != null) postgres.keep();
        out.println("kept the run's own PostgreSQL and RabbitMQ running (--keep)");
      }
    }
  }

  /**
   * Waits until every write is settled in the journal, {@link #SETTLED_WITHIN} at most from now
   * (the load has stopped), and says how long it took (null: not within it). A cart whose answer a
   * crash cut off is work in progress: its saga holds the rest of its lines or gives back the ones
   * it held once its shard has started again, which after a restart of the whole cluster takes as
   * long as the nodes take to load what their shards remember. Only such work can settle: an
   * acknowledged write missing from the journal, or a refused one in it, never does.
   */
  private Settled awaitSettledWrites(List<Operation> history, String dbUrl, String dbUser)
      throws Exception {
    Instant quiet = Instant.now();
    Instant deadline = quiet.plus(SETTLED_WITHIN);
    for (int look = 1; ; look++) {
      ChaosChecks.Journal journal = readJournal(dbUrl, dbUser);
      Check writes = ChaosChecks.acknowledgedWrites(history, journal);
      Duration after = Duration.between(quiet, Instant.now());
      if (writes.pass()) {
        out.printf(
            Locale.ROOT,
            "every write settled in the journal: look %d, %.1f s after the load stopped%n",
            look,
            after.toMillis() / 1000.0);
        return new Settled(journal, writes, after);
      }
      if (Instant.now().isAfter(deadline)) return new Settled(journal, writes, null);
      if (look == 1) out.printf("waiting for work in progress to settle: %s%n", writes.figures());
      Thread.sleep(2_000);
    }
  }

  /**
   * The journal as last read, check 2 over it, and how long after the load stopped the writes
   * settled (null: not).
   */
  private record Settled(ChaosChecks.Journal journal, Check writes, Duration after) {}

  /** How long after the load stopped the read model equaled the items (null: not within 10 s). */
  private record Convergence(Duration after, String detail) {}

  /**
   * Compares each item's row in the read model (GET /v1/stock?location=) with the item's own answer
   * until they are equal, 10 s at most from now (the load has stopped). Item by item: holds keep
   * lapsing after the load stops, and each changes its item at once and its row a moment later, so
   * the whole catalogue is rarely equal in one sweep though every row catches up.
   */
  private Convergence awaitReadModel(ChaosNodes nodes, String key) throws Exception {
    Instant quiet = Instant.now();
    Instant deadline = quiet.plusSeconds(10);
    int port = nodes.httpPort(0);
    List<Line> pending = new ArrayList<>(catalogue.items());
    if (settings.faults().contains("restart-hot")) pending.add(hotItem);
    int items = pending.size();
    String last = "";
    while (true) {
      Map<String, Map<String, JsonNode>> listed = new HashMap<>();
      List<Line> differ = new ArrayList<>();
      for (Line item : pending) {
        Map<String, JsonNode> rows =
            listed.computeIfAbsent(item.location(), location -> list(port, location, key));
        JsonNode own = get(port, "/v1/stock/" + item.location() + "/" + item.sku(), key);
        JsonNode row = rows.get(item.sku());
        for (String field : List.of("onHand", "reserved", "available")) {
          if (row == null || row.path(field).asLong() != own.path(field).asLong()) {
            differ.add(item);
            last =
                item.item()
                    + " "
                    + field
                    + ": "
                    + (row == null ? "no row" : row.path(field))
                    + " in the read model, "
                    + own.path(field)
                    + " at the item";
            break;
          }
        }
      }
      pending = differ;
      if (pending.isEmpty()) {
        return new Convergence(
            Duration.between(quiet, Instant.now()), "every one of " + items + " items");
      }
      if (Instant.now().isAfter(deadline)) {
        return new Convergence(null, pending.size() + " items differ, e.g. " + last);
      }
      Thread.sleep(250);
    }
  }

  /** The read model's rows of {@code location}, by sku. */
  private Map<String, JsonNode> list(int port, String location, String key) {
    try {
      Map<String, JsonNode> rows = new HashMap<>();
      for (JsonNode level :
          get(port, "/v1/stock?location=" + location + "&limit=1000", key).path("items")) {
        rows.put(level.path("sku").asText(), level);
      }
      return rows;
    } catch (Exception e) {
      throw new IllegalStateException("cannot list the read model of " + location, e);
    }
  }

  private JsonNode get(int port, String path, String key) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + key)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return History.JSON.readTree(r.body());
  }

  /** The run's items' events, from the journal, with each item's audit. */
  private ChaosChecks.Journal readJournal(String dbUrl, String dbUser) throws Exception {
    Config config =
        ConfigFactory.parseMap(
                Map.of(
                    "stockhold.db.url", dbUrl,
                    "stockhold.db.user", dbUser,
                    "stockhold.db.password", ""))
            .withFallback(ConfigFactory.load());
    ChaosChecks.Journal journal = new ChaosChecks.Journal();
    StockJournal.read(
        config,
        "stockhold-chaos-check",
        new StockJournal.Reader() {
          private String current;

          @Override
          public void item(String persistenceId) {
            current = ours(persistenceId) ? persistenceId : null;
            if (current != null) journal.item(persistenceId);
          }

          @Override
          public void event(long sequenceNr, io.stockhold.stock.StockEvent event) {
            if (current != null) journal.event(current, sequenceNr, event);
          }
        });
    return journal;
  }

  /** Whether a stock item is one of the run's catalogue (a shared database holds others too). */
  private boolean ours(String persistenceId) {
    // StockItem|<location>/<sku>
    return persistenceId.contains("|chaos-" + runId + "-");
  }

  private static ConnectionFactory amqp(String uri) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(uri);
    factory.setConnectionTimeout(5_000);
    return factory;
  }

  /**
   * The harness's own queue on the inventory exchange, declared before any node publishes, so it
   * holds every message the nodes get to the broker.
   */
  private static void declareCheckQueue(String uri, String exchange, String queue)
      throws Exception {
    try (Connection c = amqp(uri).newConnection("stockhold-chaos");
        Channel ch = c.createChannel()) {
      ch.exchangeDeclare(exchange, BuiltinExchangeType.TOPIC, true);
      ch.queueDeclare(queue, true, false, false, null);
      ch.queueBind(queue, exchange, "inventory.#");
    }
  }

  /**
   * Takes every message from the check queue into {@code ids}, waiting (60 s at most without
   * progress) until every journaled event's id is there; the number of redeliveries.
   */
  private long drainCheckQueue(
      String uri, String queue, ChaosChecks.Journal journal, Set<String> ids) throws Exception {
    long expected = journal.events.values().stream().mapToLong(List::size).sum();
    long duplicates = 0;
    try (Connection c = amqp(uri).newConnection("stockhold-chaos-check");
        Channel ch = c.createChannel()) {
      long idleSince = System.nanoTime();
      while (System.nanoTime() - idleSince < TimeUnit.SECONDS.toNanos(60)) {
        GetResponse m = ch.basicGet(queue, true);
        if (m == null) {
          if (allThere(journal, ids) || ids.size() >= expected && expected == 0) break;
          Thread.sleep(200);
          continue;
        }
        idleSince = System.nanoTime();
        if (!ids.add(m.getProps().getMessageId())) duplicates++;
      }
      if (settings.amqpUri() != null) ch.queueDelete(queue);
    }
    return duplicates;
  }

  private static boolean allThere(ChaosChecks.Journal journal, Set<String> ids) {
    for (Map.Entry<String, List<io.stockhold.stock.StockEvent>> item : journal.events.entrySet()) {
      for (long seq = 1; seq <= item.getValue().size(); seq++) {
        if (!ids.contains(item.getKey() + ":" + seq)) return false;
      }
    }
    return true;
  }

  /**
   * The buyers' key, made with the master key, and its id; then every node must honour it (a key
   * reaches the other nodes at their next read of the key table).
   */
  private String[] apiKey(ChaosNodes nodes, String masterKey) throws Exception {
    HttpResponse<String> created =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodes.httpPort(0) + "/v1/keys"))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + masterKey)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"name\":\"chaos shoppers\",\"scopes\":[\"reservations:write\","
                            + "\"reservations:read\",\"stock:read\",\"stock:write\",\"pos\"]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (created.statusCode() != 201) {
      throw new IllegalStateException(
          "the node would not make the shoppers' key: "
              + created.statusCode()
              + " "
              + created.body());
    }
    JsonNode body = History.JSON.readTree(created.body());
    String key = body.path("key").asText();
    String keyId = body.path("keyId").asText();
    for (int port : nodes.httpPorts()) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (http.send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + port + "/v1/stock/chaos-a/sku-00"))
                      .header("Authorization", "Bearer " + key)
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 401) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the node on port " + port + " never learned the key");
        }
        Thread.sleep(100);
      }
    }
    return new String[] {key, keyId};
  }

  /** Prints the shoppers' progress every 10 s until interrupted. */
  private Thread progress(Shoppers shoppers, Instant started) {
    return Thread.ofPlatform()
        .daemon()
        .name("chaos-progress")
        .start(
            () -> {
              try {
                while (true) {
                  Thread.sleep(10_000);
                  out.printf(
                      Locale.ROOT,
                      "  %4d s  %,d operations, %,d without a deciding answer%n",
                      Duration.between(started, Instant.now()).toSeconds(),
                      shoppers.operations(),
                      shoppers.unknownOutcomes());
                }
              } catch (InterruptedException stop) {
                // the load is over
              }
            });
  }

  /**
   * How often a node's journal write was refused by the journal's (persistence_id, sequence_number)
   * key: a second writer for an item, stopped by the database.
   */
  private static long duplicateKeyRefusals(ChaosNodes nodes) throws IOException {
    long n = 0;
    for (int i = 0; i < ChaosNodes.SIZE; i++) {
      Path log = nodes.log(i);
      if (!Files.exists(log)) continue;
      try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
        n +=
            lines.filter(l -> l.contains("duplicate key value violates unique constraint")).count();
      }
    }
    return n;
  }

  private void writeReport(
      Path dir,
      String dbUrl,
      Instant started,
      List<FaultWindow> windows,
      List<Check> checks,
      long secondWriter,
      Shoppers shoppers,
      boolean pass)
      throws IOException {
    DateTimeFormatter time = DateTimeFormatter.ISO_INSTANT;
    StringBuilder r = new StringBuilder("# Stockhold chaos run " + runId + "\n\n");
    r.append(
        String.format(
            Locale.ROOT,
            "Three nodes of this build on this machine (split-brain resolver stable-after %d s),"
                + " %d shoppers over %d items (%s), started %s; %,d operations, %,d of them"
                + " without a deciding answer after their retries.%n%n",
            STABLE_AFTER.toSeconds(),
            SHOPPERS,
            catalogue.items().size(),
            Shoppers.MIX,
            time.format(started),
            shoppers.operations(),
            shoppers.unknownOutcomes()));
    r.append("database: ").append(dbUrl).append("\n\n");
    r.append("## Faults\n\n");
    for (FaultWindow f : windows) {
      r.append(
          String.format(
              "fault %s: injected %s, healed %s, %s%n",
              f.name(), time.format(f.injected()), time.format(f.healed()), f.detail()));
    }
    r.append("\n## Checks\n\n");
    for (Check c : checks) r.append(c.line()).append('\n');
    r.append(
        String.format(
            Locale.ROOT,
            "%nThe journal's (persistence_id, sequence_number) key refused a second writer's event"
                + " %d times (from the nodes' logs).%n",
            secondWriter));
    r.append("\nresult: ").append(pass ? "PASS" : "FAIL").append('\n');
    Files.writeString(dir.resolve("report.md"), r.toString(), StandardCharsets.UTF_8);
  }

  /** {@code reports/chaos-<timestamp>}, under the current directory. */
  public static Path defaultReport() {
    return Path.of(
        "reports",
        "chaos-"
            + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
                .withZone(ZoneOffset.UTC)
                .format(Instant.now()));
  }
}
