package io.stockhold.testing;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code stockhold serve} in a process of its own, from the shaded jar, so a test can kill it the
 * way a power cut would ({@code SIGKILL}, no graceful stop).
 */
public final class NodeProcess implements AutoCloseable {

  private final Process process;
  private final int httpPort;
  private final int managementPort;
  private final Path log;

  private NodeProcess(Process process, int httpPort, int managementPort, Path log) {
    this.process = process;
    this.httpPort = httpPort;
    this.managementPort = managementPort;
    this.log = log;
  }

  /**
   * The ports a node listens on; a node started again on the same ports is the same address to
   * clients.
   */
  public record Ports(int http, int management, int remote) {
    public static Ports free() {
      return new Ports(TestNodes.freePort(), TestNodes.freePort(), TestNodes.freePort());
    }
  }

  public static NodeProcess start(TestStore store, String name) throws Exception {
    return start(store, name, Map.of());
  }

  /**
   * With {@code extraEnvironment} on top of the store's (e.g. JAVA_TOOL_OPTIONS with -D settings).
   */
  public static NodeProcess start(
      TestStore store, String name, Map<String, String> extraEnvironment) throws Exception {
    return start(
        store,
        name,
        new Ports(TestNodes.freePort(), TestNodes.freePort(), 0),
        null,
        extraEnvironment);
  }

  /**
   * A node with the given ports and, when {@code config} is not null, {@code serve --config config}
   * (the way conf/node*.conf are used).
   */
  public static NodeProcess start(TestStore store, String name, Ports ports, Path config)
      throws Exception {
    return start(store, name, ports, config, Map.of());
  }

  private static NodeProcess start(
      TestStore store, String name, Ports ports, Path config, Map<String, String> extraEnvironment)
      throws Exception {
    // The node's jar; the bench's build, which runs in bench/, names it with -Dstockhold.jar.
    Path jar =
        Path.of(System.getProperty("stockhold.jar", "target/stockhold.jar")).toAbsolutePath();
    if (!Files.isRegularFile(jar)) throw new IllegalStateException("build the jar first: " + jar);
    int http = ports.http();
    int management = ports.management();
    Path log = Path.of("target", "node-" + name + ".log").toAbsolutePath();
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command =
        new ArrayList<>(List.of(java, "-Xmx512m", "-jar", jar.toString(), "serve"));
    if (config != null) command.addAll(List.of("--config", config.toString()));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Map<String, String> env = builder.environment();
    env.putAll(store.environment());
    env.put("STOCKHOLD_HTTP_PORT", Integer.toString(http));
    env.put("STOCKHOLD_HTTP_INTERFACE", "127.0.0.1");
    env.put("STOCKHOLD_MANAGEMENT_PORT", Integer.toString(management));
    env.put("STOCKHOLD_REMOTE_PORT", Integer.toString(ports.remote()));
    env.putAll(extraEnvironment);
    NodeProcess node = new NodeProcess(builder.start(), http, management, log);
    // A cluster node also waits to join; on a shared 2-core machine that can take a while.
    node.awaitReady(Duration.ofSeconds(config == null ? 60 : 180));
    return node;
  }

  private void awaitReady(Duration timeout) throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) throw new IllegalStateException("node exited; see " + log);
      try {
        HttpResponse<String> r =
            client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/ready"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) return;
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("node not ready after " + timeout + "; see " + log);
  }

  public int httpPort() {
    return httpPort;
  }

  public int managementPort() {
    return managementPort;
  }

  /** The node's process id, for jcmd. */
  public long pid() {
    return process.pid();
  }

  /** SIGKILL: no shutdown hook, no flush, no leaving the cluster. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** SIGTERM and wait: coordinated shutdown (hand shards off, leave the cluster, exit). */
  public void stop(Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("node did not stop within " + timeout + "; see " + log);
    }
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** SIGTERM: coordinated shutdown. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) kill();
    }
  }

  public File log() {
    return log.toFile();
  }
}
