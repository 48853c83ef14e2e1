package io.stockhold.chaos;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * A PostgreSQL cluster of the chaos run's own, made with Debian's pg_createcluster on a free port:
 * restarting it as a fault harms no other user of the machine's PostgreSQL.
 */
public final class OwnPostgres implements AutoCloseable {

  private static final Path SERVERS = Path.of("/usr/lib/postgresql");
  private static final Path CREATE_CLUSTER = Path.of("/usr/bin/pg_createcluster");
  private static final String SUPERUSER = "postgres";
  private static final String DATABASE = "stockhold";

  /** pg_ctlcluster's exit code for "Cluster is not running.", which a stop can take as done. */
  private static final int NOT_RUNNING = 2;

  /** initdb syncs every file it writes; on a busy machine that can take a while. */
  private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(2);

  private static final Duration READY_TIMEOUT = Duration.ofMinutes(1);

  /**
   * Appended to the cluster's postgresql.conf rather than passed as pg_createcluster -o options:
   * pg_createcluster writes 127.0.0.1 without quotes, which postgres then refuses to parse. The
   * last setting of a name wins, so these also override whatever the machine's createcluster.conf
   * added. fsync and synchronous_commit stay on: the chaos run tests what survives a restart.
   */
  private static final String SETTINGS =
      """

      # the chaos run's settings
      listen_addresses = '127.0.0.1'
      shared_buffers = 128MB
      fsync = on
      synchronous_commit = on
      full_page_writes = on
      """;

  private final String version;
  private final String cluster;
  private final int port;
  private final PrintStream log;
  private final Thread dropAtExit = new Thread(this::close, "drop-own-postgres");
  private boolean closed;

  private OwnPostgres(String version, String cluster, int port, PrintStream log) {
    this.version = version;
    this.cluster = cluster;
    this.port = port;
    this.log = log;
  }

  /**
   * Null when a cluster can be made here, else what is missing: the postgresql-common tools, a
   * PostgreSQL server, or root (pg_createcluster writes under /etc and /var and hands the files to
   * the postgres user).
   */
  public static String unavailable() {
    if (!Files.isExecutable(CREATE_CLUSTER) || newestMajor() == null) {
      return "no PostgreSQL server with the cluster tools: install the Debian packages postgresql"
          + " and postgresql-common";
    }
    if (!"root".equals(System.getProperty("user.name"))) {
      return "making a PostgreSQL cluster with pg_createcluster needs root";
    }
    return null;
  }

  /**
   * Creates a cluster of the newest installed major version on a free port (trust authentication,
   * 127.0.0.1 only, fsync on), starts it and creates the database {@code stockhold}. The tools'
   * output goes to {@code log}.
   */
  public static OwnPostgres create(PrintStream log) throws Exception {
    String missing = unavailable();
    if (missing != null) throw new IllegalStateException(missing);
    String id = UUID.randomUUID().toString().substring(0, 8);
    // an underscore, not a dash: postgresql-common warns that dashes break systemd's unit names
    OwnPostgres postgres = new OwnPostgres(newestMajor(), "chaos_" + id, freePort(), log);
    try {
      postgres.createCluster();
      postgres.start();
      postgres.createDatabase();
    } catch (Exception e) {
      postgres.close();
      throw e;
    }
    return postgres;
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
  }

  public String user() {
    return SUPERUSER;
  }

  public int port() {
    return port;
  }

  /**
   * A fast shutdown (clients disconnected, a checkpoint written); returns when the server is down.
   */
  public synchronized void stop() throws Exception {
    stop("fast");
  }

  /** Starts the server; returns when it accepts connections. */
  public synchronized void start() throws Exception {
    long began = System.nanoTime();
    // pg_ctlcluster returns once the server is up and has answered three probes in a row, half a
    // second apart: about two seconds even though postgres itself is ready in a fraction of one
    run(pgCtlCluster("start"));
    awaitAccepting();
    log.printf(
        "PostgreSQL %s accepts connections on port %d (started in %d ms)%n",
        name(), port, millisSince(began));
  }

  /**
   * An immediate shutdown, as a crash would take the server down (no checkpoint, so the start
   * replays the WAL and keeps only what fsync made durable), then a start; returns when it accepts
   * connections again.
   */
  public synchronized void restart() throws Exception {
    long began = System.nanoTime();
    stop("immediate");
    start();
    log.printf("PostgreSQL %s restarted in %d ms%n", name(), millisSince(began));
  }

  /** Stops the server and drops the cluster with its data, configuration and log; never throws. */
  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    forgetAtExit();
    try {
      run(List.of("pg_dropcluster", "--stop", version, cluster));
    } catch (Exception e) {
      log.printf(
          "could not drop PostgreSQL cluster %s (drop it with: pg_dropcluster --stop %s %s): %s%n",
          name(), version, cluster, e.getMessage());
    }
  }

  /** Leaves the running instance as it is when the JVM exits (chaos --keep), for a look inside. */
  public synchronized void keep() {
    forgetAtExit();
  }

  private void forgetAtExit() {
    if (Thread.currentThread() == dropAtExit) return;
    try {
      Runtime.getRuntime().removeShutdownHook(dropAtExit);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway and finds the cluster dropped
    }
  }

  private void createCluster() throws Exception {
    // a chaos run stopped with Ctrl-C still drops its cluster
    Runtime.getRuntime().addShutdownHook(dropAtExit);
    run(
        List.of(
            "pg_createcluster",
            "--port=" + port,
            "--logfile=" + serverLog(),
            // not started at boot nor by the postgresql service: the chaos run alone decides
            "--start-conf=manual",
            // UTF-8 whatever locale the caller runs in, as the node's data needs
            "--locale=C.UTF-8",
            version,
            cluster,
            "--",
            // trust for every user on 127.0.0.1 and the local socket, so the node needs no password
            "--auth=trust"));
    Files.writeString(
        Path.of("/etc/postgresql", version, cluster, "postgresql.conf"),
        SETTINGS,
        StandardOpenOption.APPEND);
  }

  private void stop(String mode) throws Exception {
    long began = System.nanoTime();
    // pg_ctl waits until the server is gone before pg_ctlcluster returns
    run(pgCtlCluster("stop", "-m", mode), NOT_RUNNING);
    log.printf("PostgreSQL %s stopped (%s) in %d ms%n", name(), mode, millisSince(began));
  }

  /**
   * pg_ctlcluster itself, never redirected to systemctl: the cluster is no systemd service, and on
   * a machine running systemd a root pg_ctlcluster would otherwise start it as one.
   */
  private List<String> pgCtlCluster(String... actionAndOptions) {
    List<String> command =
        new ArrayList<>(List.of("pg_ctlcluster", "--skip-systemctl-redirect", version, cluster));
    command.addAll(List.of(actionAndOptions));
    return command;
  }

  /**
   * Proves the server ready the way the node will use it, with a connection over TCP to 127.0.0.1,
   * retried for a while in case the server is still finishing its start.
   */
  private void awaitAccepting() throws Exception {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (true) {
      try {
        connect("postgres").close();
        return;
      } catch (SQLException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "PostgreSQL "
                  + name()
                  + " does not accept connections on port "
                  + port
                  + " after "
                  + READY_TIMEOUT.toSeconds()
                  + " s ("
                  + e.getMessage()
                  + "); see "
                  + serverLog(),
              e);
        }
        Thread.sleep(100);
      }
    }
  }

  private void createDatabase() throws SQLException {
    try (Connection connection = connect("postgres");
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE " + DATABASE);
    }
  }

  private Connection connect(String database) throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", SUPERUSER);
    properties.setProperty("connectTimeout", "5");
    return DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:" + port + "/" + database, properties);
  }

  /**
   * Runs a postgresql-common tool with its output copied to the run's log; throws when it exits
   * with a code other than 0 and {@code alsoFine}, or outlives {@link #COMMAND_TIMEOUT}.
   */
  private void run(List<String> command, int... alsoFine) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    Thread copier = Thread.ofVirtual().start(() -> copy(process.getInputStream(), output));
    if (!process.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      throw failure(command, "did not finish within " + COMMAND_TIMEOUT.toSeconds() + " s", output);
    }
    copier.join(COMMAND_TIMEOUT.toMillis());
    int exit = process.exitValue();
    if (exit != 0 && IntStream.of(alsoFine).noneMatch(fine -> fine == exit)) {
      throw failure(command, "exited with " + exit, output);
    }
  }

  private void copy(InputStream from, ByteArrayOutputStream kept) {
    byte[] buffer = new byte[8192];
    try {
      for (int n; (n = from.read(buffer)) >= 0; ) {
        log.write(buffer, 0, n);
        kept.write(buffer, 0, n);
      }
      log.flush();
    } catch (IOException e) {
      // the tool was killed for taking too long; what it wrote so far is kept
    }
  }

  private IllegalStateException failure(
      List<String> command, String what, ByteArrayOutputStream output) {
    return new IllegalStateException(
        String.join(" ", command)
            + " "
            + what
            + ": "
            + output.toString(StandardCharsets.UTF_8).strip()
            + " (the server's log: "
            + serverLog()
            + ")");
  }

  private Path serverLog() {
    return Path.of("/var/log/postgresql", "postgresql-" + version + "-" + cluster + ".log");
  }

  private String name() {
    return version + "/" + cluster;
  }

  /** The newest major version with a server installed (e.g. 15), or null when there is none. */
  private static String newestMajor() {
    try (Stream<Path> servers = Files.list(SERVERS)) {
      return servers
          .filter(dir -> Files.isExecutable(dir.resolve("bin/postgres")))
          .map(dir -> dir.getFileName().toString())
          .filter(name -> name.matches("\\d+(\\.\\d+)?"))
          .max(Comparator.comparing(Runtime.Version::parse))
          .orElse(null);
    } catch (IOException e) {
      return null;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static long millisSince(long nanoTime) {
    return (System.nanoTime() - nanoTime) / 1_000_000;
  }
}
