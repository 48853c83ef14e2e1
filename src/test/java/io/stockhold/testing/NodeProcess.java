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

  public static NodeProcess start(TestStore store, String name) throws Exception {
    Path jar = Path.of("target", "stockhold.jar").toAbsolutePath();
    if (!Files.isRegularFile(jar)) throw new IllegalStateException("build the jar first: " + jar);
    int http = TestNodes.freePort();
    int management = TestNodes.freePort();
    Path log = Path.of("target", "node-" + name + ".log").toAbsolutePath();
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-jar", jar.toString(), "serve"));
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Map<String, String> env = builder.environment();
    env.putAll(store.environment());
    env.put("STOCKHOLD_HTTP_PORT", Integer.toString(http));
    env.put("STOCKHOLD_HTTP_INTERFACE", "127.0.0.1");
    env.put("STOCKHOLD_MANAGEMENT_PORT", Integer.toString(management));
    env.put("STOCKHOLD_REMOTE_PORT", "0");
    NodeProcess node = new NodeProcess(builder.start(), http, management, log);
    node.awaitReady(Duration.ofSeconds(60));
    return node;
  }

  private void awaitReady(Duration timeout) throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) throw new IllegalStateException("node exited; see " + log);
      try {
        HttpResponse<String> r = client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/ready")).build(),
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

  /** SIGTERM: coordinated shutdown. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) kill();
    }
  }

  public File log() {
    return log.toFile();
  }
}
