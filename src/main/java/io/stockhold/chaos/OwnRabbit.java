package io.stockhold.chaos;

import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A RabbitMQ node of the chaos run's own: its own node name, AMQP port, distribution port, data and
 * log, all on 127.0.0.1, so stopping it as a fault harms no other user of the machine's RabbitMQ.
 */
public final class OwnRabbit implements AutoCloseable {

  private static final Path SERVER = Path.of("/usr/lib/rabbitmq/bin/rabbitmq-server");

  /** A first start creates the node's database; a node with many messages takes longer again. */
  private static final Duration START_TIMEOUT = Duration.ofMinutes(2);

  private static final Duration STOP_TIMEOUT = Duration.ofMinutes(1);
  private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Publishers are never blocked for want of disk space (RabbitMQ's default is 50 MB free), so a
   * full disk on a test machine cannot pass for a fault.
   */
  private static final String CONFIGURATION =
      """
      disk_free_limit.absolute = 1MB
      """;

  private final Path dir;
  private final String node;
  private final int port;
  private final int distributionPort;
  private final PrintStream log;
  private final Thread closeAtExit = new Thread(this::close, "close-own-rabbit");
  private Process server;
  private boolean closed;

  private OwnRabbit(Path dir, String node, int port, int distributionPort, PrintStream log) {
    this.dir = dir.toAbsolutePath();
    this.node = node;
    this.port = port;
    this.distributionPort = distributionPort;
    this.log = log;
  }

  /** Null when a node can be started here, else what to install. */
  public static String unavailable() {
    return Files.isExecutable(SERVER)
        ? null
        : "no RabbitMQ server at " + SERVER + ": install the Debian package rabbitmq-server";
  }

  /**
   * Starts a node with its data and log under {@code dir} (no plugins, guest/guest from 127.0.0.1,
   * listening on 127.0.0.1 only); returns when it answers AMQP. Progress goes to {@code log}.
   */
  public static OwnRabbit start(Path dir, PrintStream log) throws Exception {
    String missing = unavailable();
    if (missing != null) throw new IllegalStateException(missing);
    String id = UUID.randomUUID().toString().substring(0, 8);
    int[] ports = freePorts();
    OwnRabbit rabbit = new OwnRabbit(dir, "chaos-" + id + "@localhost", ports[0], ports[1], log);
    // a chaos run stopped with Ctrl-C still stops its node and deletes its data
    Runtime.getRuntime().addShutdownHook(rabbit.closeAtExit);
    try {
      rabbit.writeConfiguration();
      rabbit.start();
    } catch (Exception e) {
      rabbit.close();
      throw e;
    }
    return rabbit;
  }

  public String amqpUri() {
    return "amqp://guest:guest@127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /**
   * Sends SIGTERM to the server script, which passes it on to the node; the node shuts down as for
   * {@code rabbitmqctl stop}, its queues and messages on disk. Returns when its processes are gone,
   * and with them the AMQP port. A node that does not stop within a minute is killed.
   */
  public synchronized void stop() throws Exception {
    if (server == null || !server.isAlive()) return;
    long began = System.nanoTime();
    List<ProcessHandle> processes =
        Stream.concat(Stream.of(server.toHandle()), server.descendants()).toList();
    server.destroy();
    if (!allGone(processes, STOP_TIMEOUT)) {
      log.printf(
          "RabbitMQ %s did not stop within %d s; killing it%n", node, STOP_TIMEOUT.toSeconds());
      processes.forEach(ProcessHandle::destroyForcibly);
      if (!allGone(processes, KILL_TIMEOUT)) {
        throw new IllegalStateException(
            "RabbitMQ " + node + " does not go away even when killed; see " + serverLog());
      }
    }
    log.printf("RabbitMQ %s stopped in %d ms%n", node, millisSince(began));
  }

  /**
   * Starts the node on its data as it was left (durable queues and persistent messages come back);
   * returns when it answers AMQP.
   */
  public synchronized void start() throws Exception {
    if (server != null && server.isAlive()) return;
    long began = System.nanoTime();
    ProcessBuilder builder =
        new ProcessBuilder(SERVER.toString())
            // where the Erlang VM leaves a crash dump
            .directory(dir.toFile())
            .redirectInput(Redirect.from(Path.of("/dev/null").toFile()))
            .redirectErrorStream(true)
            .redirectOutput(Redirect.appendTo(serverLog().toFile()));
    setEnvironment(builder.environment());
    server = builder.start();
    awaitAmqp();
    log.printf(
        "RabbitMQ %s answers AMQP on 127.0.0.1:%d (started in %d ms; log %s)%n",
        node, port, millisSince(began), serverLog());
  }

  public synchronized void restart() throws Exception {
    long began = System.nanoTime();
    stop();
    start();
    log.printf("RabbitMQ %s restarted in %d ms%n", node, millisSince(began));
  }

  /** Stops the node and deletes its directory; never throws. */
  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    forgetAtExit();
    try {
      stop();
    } catch (Exception e) {
      log.printf("could not stop RabbitMQ %s: %s%n", node, e.getMessage());
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(path);
    } catch (IOException e) {
      log.printf("could not delete %s: %s%n", dir, e);
    }
  }

  /** Leaves the running instance as it is when the JVM exits (chaos --keep), for a look inside. */
  public synchronized void keep() {
    forgetAtExit();
  }

  private void forgetAtExit() {
    if (Thread.currentThread() == closeAtExit) return;
    try {
      Runtime.getRuntime().removeShutdownHook(closeAtExit);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway and finds the node closed
    }
  }

  private void writeConfiguration() throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("rabbitmq.conf"), CONFIGURATION);
    Files.writeString(dir.resolve("enabled_plugins"), "[].\n");
    // sourced instead of /etc/rabbitmq/rabbitmq-env.conf, which names the machine's own node
    Files.writeString(dir.resolve("rabbitmq-env.conf"), "");
  }

  /**
   * The node's whole identity, in RabbitMQ's environment variables; every file it reads or writes
   * is under {@link #dir}, none under /etc/rabbitmq or /var/lib/rabbitmq.
   */
  private void setEnvironment(Map<String, String> environment) {
    // settings the caller may have for some other RabbitMQ are not this node's
    environment.keySet().removeIf(name -> name.startsWith("RABBITMQ_"));
    // the Erlang cookie: the node makes one in HOME, where a rabbitmqctl run with the same HOME and
    // -n <node> finds it
    environment.put("HOME", dir.toString());
    environment.put("RABBITMQ_NODENAME", node);
    environment.put("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1");
    environment.put("RABBITMQ_NODE_PORT", Integer.toString(port));
    // by default the AMQP port + 20000, which may be taken or beyond 65535
    environment.put("RABBITMQ_DIST_PORT", Integer.toString(distributionPort));
    // the distribution port, too, on 127.0.0.1 only
    environment.put(
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}");
    // should the node have to start epmd (the Erlang port mapper), it listens on 127.0.0.1 only
    environment.put("ERL_EPMD_ADDRESS", "127.0.0.1");
    environment.put("RABBITMQ_CONF_ENV_FILE", dir.resolve("rabbitmq-env.conf").toString());
    environment.put("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq.conf").toString());
    // a directory that does not exist, so none of /etc/rabbitmq/conf.d applies
    environment.put("RABBITMQ_CONFIG_FILES", dir.resolve("conf.d").toString());
    environment.put("RABBITMQ_ADVANCED_CONFIG_FILE", dir.resolve("advanced.config").toString());
    environment.put("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString());
    environment.put("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString());
    // to standard output, so the node's log and whatever the Erlang VM prints share one file
    environment.put("RABBITMQ_LOGS", "-");
    // where the upgrade log goes even so (else /var/log/rabbitmq)
    environment.put("RABBITMQ_LOG_BASE", dir.toString());
  }

  /**
   * Opens real AMQP connections until one succeeds: the port opens only once the broker has booted
   * and recovered its queues.
   */
  private void awaitAmqp() throws InterruptedException {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost("127.0.0.1");
    factory.setPort(port);
    factory.setConnectionTimeout(2_000);
    factory.setAutomaticRecoveryEnabled(false);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      if (!server.isAlive()) {
        throw new IllegalStateException(
            "RabbitMQ "
                + node
                + " exited with "
                + server.exitValue()
                + " while starting; see "
                + serverLog());
      }
      try {
        factory.newConnection("stockhold-chaos-probe").close();
        return;
      } catch (IOException | TimeoutException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "RabbitMQ "
                  + node
                  + " does not answer AMQP on 127.0.0.1:"
                  + port
                  + " after "
                  + START_TIMEOUT.toSeconds()
                  + " s ("
                  + e
                  + "); see "
                  + serverLog(),
              e);
        }
        Thread.sleep(200);
      }
    }
  }

  private Path serverLog() {
    return dir.resolve("rabbitmq.log");
  }

  private static boolean allGone(List<ProcessHandle> processes, Duration within)
      throws InterruptedException, ExecutionException {
    long deadline = System.nanoTime() + within.toNanos();
    for (ProcessHandle process : processes) {
      try {
        process.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        return false;
      }
    }
    return true;
  }

  /** Two distinct free ports on 127.0.0.1, held open together so they cannot coincide. */
  private static int[] freePorts() throws IOException {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    try (ServerSocket amqp = new ServerSocket(0, 1, loopback);
        ServerSocket distribution = new ServerSocket(0, 1, loopback)) {
      return new int[] {amqp.getLocalPort(), distribution.getLocalPort()};
    }
  }

  private static long millisSince(long nanoTime) {
    return (System.nanoTime() - nanoTime) / 1_000_000;
  }
}
