package io.stockhold.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Stockhold node as {@code bin/stockhold serve} runs it: {@code java -jar stockhold.jar serve} in
 * a process of its own, with the launcher's JVM options and the node's defaults, configured only
 * through the environment a user would set (database, ports, master key, data directory). Its
 * output — the access log among it — goes to a file in the report folder, as a service manager
 * would keep it. The bench measures it from outside: HTTP for the buyers, {@code /metrics} for the
 * group commit, {@code /proc} for its CPU.
 */
final class ServeNode implements AutoCloseable {

  /** What {@code bin/stockhold} runs the node with unless STOCKHOLD_JAVA_OPTS says otherwise. */
  static final List<String> LAUNCHER_JVM_OPTIONS =
      List.of("--sun-misc-unsafe-memory-access=allow", "-Xms512m", "-Xmx2g", "-XX:+UseG1GC");

  private final String name;
  private final Process process;
  private final int httpPort;
  private final int managementPort;
  private final Path log;
  private final HttpClient http = HttpClient.newHttpClient();

  private ServeNode(String name, Process process, int httpPort, int managementPort, Path log) {
    this.name = name;
    this.process = process;
    this.httpPort = httpPort;
    this.managementPort = managementPort;
    this.log = log;
  }

  /** The node's jar: {@code -Dstockhold.jar}, else {@code target/stockhold.jar} (the repo root). */
  static Path jar() {
    Path jar =
        Path.of(System.getProperty("stockhold.jar", "target/stockhold.jar")).toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "no node jar at " + jar + ": run bin/stockhold bench, which builds it");
    }
    return jar;
  }

  /**
   * Starts {@code serve} with {@code environment} (STOCKHOLD_… variables) on free ports and waits
   * until it is ready; {@code properties} are JVM system properties for what has no variable (the
   * bench's own placement of the projections, say). Its output goes to {@code log}.
   */
  static ServeNode start(
      String name,
      Map<String, String> environment,
      Map<String, String> properties,
      List<String> extraJvmOptions,
      Path log,
      Duration readyWithin)
      throws IOException, InterruptedException {
    int httpPort = FlashSaleBench.freePort();
    int managementPort = FlashSaleBench.freePort();
    int remotePort = FlashSaleBench.freePort();
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>();
    command.add(java);
    command.addAll(LAUNCHER_JVM_OPTIONS);
    properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
    command.addAll(extraJvmOptions);
    command.addAll(List.of("-jar", jar().toString(), "serve"));
    Files.createDirectories(log.toAbsolutePath().getParent());
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Map<String, String> env = builder.environment();
    // Only what the bench chooses: a STOCKHOLD_ variable of the caller's shell would change the
    // node under test.
    env.keySet().removeIf(k -> k.startsWith("STOCKHOLD_"));
    Map<String, String> chosen = new LinkedHashMap<>(environment);
    chosen.putIfAbsent("STOCKHOLD_HTTP_INTERFACE", "127.0.0.1");
    chosen.put("STOCKHOLD_HTTP_PORT", Integer.toString(httpPort));
    chosen.put("STOCKHOLD_MANAGEMENT_HOST", "127.0.0.1");
    chosen.put("STOCKHOLD_MANAGEMENT_PORT", Integer.toString(managementPort));
    chosen.putIfAbsent("STOCKHOLD_REMOTE_HOST", "127.0.0.1");
    chosen.putIfAbsent("STOCKHOLD_REMOTE_PORT", Integer.toString(remotePort));
    env.putAll(chosen);
    ServeNode node = new ServeNode(name, builder.start(), httpPort, managementPort, log);
    try {
      node.awaitReady(readyWithin);
    } catch (IOException | InterruptedException | RuntimeException e) {
      node.close();
      throw e;
    }
    return node;
  }

  private void awaitReady(Duration within) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException(
            name + " exited at start (status " + process.exitValue() + "); see " + log);
      }
      try {
        if (get(managementPort, "/ready").statusCode() == 200) return;
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IOException(name + " not ready after " + within.toSeconds() + " s; see " + log);
  }

  private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The node's Prometheus text, from its management port. */
  String metrics() throws IOException, InterruptedException {
    HttpResponse<String> r = get(managementPort, "/metrics");
    if (r.statusCode() != 200) throw new IOException(name + " /metrics answered " + r.statusCode());
    return r.body();
  }

  String name() {
    return name;
  }

  int httpPort() {
    return httpPort;
  }

  long pid() {
    return process.pid();
  }

  Path log() {
    return log;
  }

  /** SIGTERM: the node's coordinated shutdown; SIGKILL if it has not ended within a minute. */
  @Override
  public void close() throws InterruptedException {
    if (!process.isAlive()) return;
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor();
    }
  }
}
