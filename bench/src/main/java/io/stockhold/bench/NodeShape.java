package io.stockhold.bench;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * How a Stockhold system of the bench is deployed: {@code stockhold} is one node with the embedded
 * ERP default (the events file), {@code stockhold-rabbitmq} one node publishing the ERP stream to
 * RabbitMQ (the production shape), with the bench consuming it as an ERP would, and {@code
 * stockhold-cluster} three nodes of one cluster on this machine (events files), the buyers'
 * connections spread over them, so the cost of the hops between nodes is on the table. Each has its
 * own locations, so the journal audit tells their sales apart.
 */
record NodeShape(String system, boolean rabbitmq, int nodes) {

  static final String EVENTS_FILE = "stockhold";
  static final String RABBITMQ = "stockhold-rabbitmq";
  static final String CLUSTER = "stockhold-cluster";

  /** The broker the {@code stockhold-rabbitmq} node publishes to. */
  static final String AMQP_HOST = "127.0.0.1";

  static final int AMQP_PORT = 5672;

  static boolean isStockhold(String system) {
    return system.equals(EVENTS_FILE) || system.equals(RABBITMQ) || system.equals(CLUSTER);
  }

  static NodeShape of(String system) {
    return switch (system) {
      case EVENTS_FILE -> new NodeShape(system, false, 1);
      case RABBITMQ -> new NodeShape(system, true, 1);
      case CLUSTER -> new NodeShape(system, false, 3);
      default -> throw new IllegalArgumentException("not a Stockhold system: " + system);
    };
  }

  /**
   * Where this system's items are: {@code bench-<workload>} or {@code bench-rabbitmq-<workload>}.
   */
  String locationPrefix() {
    return system.equals(EVENTS_FILE) ? "bench-" : "bench-" + system.substring(10) + "-";
  }

  /** Whether this shape runs {@code workload}: the cluster runs the spread only. */
  boolean runs(Workload workload) {
    return nodes == 1 || workload.key().equals("spread");
  }

  /** How the node runs, for the report. */
  String deployment() {
    if (nodes > 1) {
      return nodes
          + " nodes of one cluster as `serve` runs them, on this machine and one PostgreSQL, the"
          + " buyers' connections spread over them in turn (an item's requests reach its node"
          + " through the one the buyer is connected to); the ERP stream to each node's events"
          + " file";
    }
    return rabbitmq
        ? "One node as `serve` runs it, the ERP stream published to RabbitMQ (persistent,"
            + " mandatory, publisher confirms) and consumed by the bench as the ERP would"
        : "One node as `serve` runs it, the ERP stream to the events file (the embedded default)";
  }

  /** Why this shape cannot run here, or null. */
  String unavailable() {
    if (!rabbitmq) return null;
    try (Connection c = factory().newConnection("stockhold-bench-probe")) {
      return null;
    } catch (IOException | TimeoutException e) {
      return "RabbitMQ not reachable at "
          + AMQP_HOST
          + ":"
          + AMQP_PORT
          + " ("
          + e.getMessage()
          + ")";
    }
  }

  private static ConnectionFactory factory() {
    ConnectionFactory f = new ConnectionFactory();
    f.setHost(AMQP_HOST);
    f.setPort(AMQP_PORT);
    f.setConnectionTimeout(2000);
    return f;
  }

  /**
   * Starts this shape's node with {@code serve}'s defaults, on the bench's database ({@code
   * nodeConfig} names it and the master key), its output in the report folder.
   */
  Running start(Config nodeConfig, FlashSaleBench.Settings settings, CpuMeter cpu, PrintStream out)
      throws Exception {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("STOCKHOLD_DB_URL", nodeConfig.getString("stockhold.db.url"));
    env.put("STOCKHOLD_DB_USER", nodeConfig.getString("stockhold.db.user"));
    env.put("STOCKHOLD_DB_PASSWORD", nodeConfig.getString("stockhold.db.password"));
    env.put("STOCKHOLD_MASTER_KEY", nodeConfig.getString("stockhold.auth.master-key"));
    Path dataDir = Files.createTempDirectory("stockhold-bench-" + system + "-");
    env.put("STOCKHOLD_DATA_DIR", dataDir.toString());
    Map<String, String> properties = new LinkedHashMap<>();
    // Set either way, so that a STOCKHOLD_PROJECTIONS_ROLE of the caller does not decide it; no
    // node has the role "projections", so "elsewhere" runs none here.
    properties.put(
        "stockhold.projections.role", settings.projectionsElsewhere() ? "projections" : "");
    ErpConsumer erp = null;
    if (rabbitmq) {
      // Names of this run's own on the default virtual host: nothing else's messages mix in.
      String prefix = "stockhold-bench-" + UUID.randomUUID().toString().substring(0, 8) + ".";
      env.put("STOCKHOLD_AMQP_URI", "amqp://guest:guest@" + AMQP_HOST + ":" + AMQP_PORT + "/%2F");
      properties.put("stockhold.erp.exchange", prefix + "inventory");
      properties.put("stockhold.erp.erp-queue", prefix + "erp");
      properties.put("stockhold.erp.receipts-queue", prefix + "receipts");
      properties.put("stockhold.erp.dead-letter-exchange", prefix + "dead-letter");
      properties.put("stockhold.erp.dead-letter-queue", prefix + "receipts.dead");
      erp = new ErpConsumer(prefix);
    }
    List<Integer> remotePorts = new ArrayList<>();
    for (int i = 0; i < nodes; i++) remotePorts.add(FlashSaleBench.freePort());
    if (nodes > 1) {
      // One seed list on every node; the first forms the cluster, the others join it.
      for (int i = 0; i < nodes; i++) {
        properties.put(
            "pekko.cluster.seed-nodes." + i, "pekko://stockhold@127.0.0.1:" + remotePorts.get(i));
      }
    }
    List<ServeNode> started = new ArrayList<>();
    try {
      for (int i = 0; i < nodes; i++) {
        String name = nodes == 1 ? system : system + "-" + (i + 1);
        Path log = settings.reportDir().resolve(name + ".log");
        out.printf(
            "Starting %s: bin/stockhold serve's JVM and defaults, output in %s%n", name, log);
        Map<String, String> nodeEnv = new LinkedHashMap<>(env);
        nodeEnv.put("STOCKHOLD_REMOTE_PORT", Integer.toString(remotePorts.get(i)));
        if (nodes > 1) nodeEnv.put("STOCKHOLD_DATA_DIR", dataDir.resolve(name).toString());
        started.add(
            ServeNode.start(
                name, nodeEnv, properties, settings.nodeOptions(), log, Duration.ofSeconds(180)));
      }
    } catch (Exception e) {
      for (ServeNode n : started) n.close();
      throw e;
    }
    cpu.watch(started.stream().map(ServeNode::pid).toList());
    if (erp != null) erp.start();
    return new Running(started, dataDir, erp, cpu);
  }

  /** A started shape: its nodes, stopped (and what they made removed) on close. */
  static final class Running implements AutoCloseable {
    private final List<ServeNode> nodes;
    private final Path dataDir;
    private final ErpConsumer erp;
    private final CpuMeter cpu;

    Running(List<ServeNode> nodes, Path dataDir, ErpConsumer erp, CpuMeter cpu) {
      this.nodes = nodes;
      this.dataDir = dataDir;
      this.erp = erp;
      this.cpu = cpu;
    }

    List<Integer> httpPorts() {
      return nodes.stream().map(ServeNode::httpPort).toList();
    }

    /** The node whose CPU --profile samples. */
    ServeNode first() {
      return nodes.get(0);
    }

    /** CPU seconds the nodes' JIT compiler threads have used so far. */
    double jitSeconds() {
      return cpu.sample().nodes().jit();
    }

    GroupCommit groupCommit() throws IOException, InterruptedException {
      GroupCommit sum = null;
      for (ServeNode n : nodes) {
        GroupCommit g = GroupCommit.sample(n);
        sum =
            sum == null
                ? g
                : new GroupCommit(
                    sum.writes() + g.writes(),
                    sum.requests() + g.requests(),
                    sum.writeSeconds() + g.writeSeconds(),
                    g.seconds());
      }
      return sum;
    }

    /** Messages the ERP consumer received so far; -1 without a broker. */
    long erpMessages() {
      return erp == null ? -1 : erp.received.get();
    }

    @Override
    public void close() throws Exception {
      cpu.watch(List.of());
      List<Exception> failures = new ArrayList<>();
      for (ServeNode n : nodes) {
        try {
          n.close();
        } catch (InterruptedException e) {
          failures.add(e);
        }
      }
      if (erp != null) erp.close();
      try (Stream<Path> files = Files.walk(dataDir)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList())
          Files.deleteIfExists(p);
      }
      if (!failures.isEmpty()) throw failures.get(0);
    }
  }

  /**
   * The ERP's side of the production shape: one consumer on the node's catch-all queue,
   * acknowledging in batches as an ERP's listener would, so the queue does not grow through the
   * run. Its exchange and queues are deleted afterwards.
   */
  static final class ErpConsumer implements AutoCloseable {
    private final String prefix;
    private final AtomicLong received = new AtomicLong();
    private Connection connection;

    ErpConsumer(String prefix) {
      this.prefix = prefix;
    }

    /** Consumes once the node has declared the queue (it does on start). */
    void start() throws IOException, TimeoutException {
      connection = factory().newConnection("stockhold-bench-erp");
      Channel channel = connection.createChannel();
      channel.basicQos(1000);
      channel.basicConsume(
          prefix + "erp",
          false,
          (tag, delivery) -> {
            long n = received.incrementAndGet();
            if (n % 100 == 0) channel.basicAck(delivery.getEnvelope().getDeliveryTag(), true);
          },
          tag -> {});
    }

    @Override
    public void close() throws IOException {
      if (connection == null) return;
      try (Channel admin = connection.createChannel()) {
        for (String queue : List.of("erp", "receipts", "receipts.dead"))
          admin.queueDelete(prefix + queue);
        admin.exchangeDelete(prefix + "inventory");
        admin.exchangeDelete(prefix + "dead-letter");
      } catch (TimeoutException e) {
        throw new IOException(e);
      } finally {
        connection.close();
      }
    }
  }
}
