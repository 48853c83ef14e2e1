package io.stockhold.chaos;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
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
 * Three nodes of this build, each {@code java -jar stockhold.jar serve} in a process of its own on
 * loopback, one cluster on one database. Each node's remoting is reached through a {@link TcpRelay}
 * the harness owns, so the harness can cut a node off from the others. A slot keeps its ports
 * across restarts: to clients and to the cluster it is the same address.
 */
final class ChaosNodes implements AutoCloseable {

  static final int SIZE = 3;

  /** How the nodes are run: what the harness passes to every node. */
  record Launch(
      Path jar,
      Path dir,
      Map<String, String> environment,
      Map<String, String> properties,
      List<String> jvmOptions) {}

  private record Slot(int http, int management, int remote, TcpRelay relay) {}

  private final Launch launch;
  private final PrintStream out;
  private final List<Slot> slots = new ArrayList<>();
  private final Process[] processes = new Process[SIZE];
  private final int[] starts = new int[SIZE];
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private ChaosNodes(Launch launch, PrintStream out) {
    this.launch = launch;
    this.out = out;
  }

  /** Starts the three nodes: the first forms the cluster, the others join it. */
  static ChaosNodes start(Launch launch, PrintStream out) throws Exception {
    ChaosNodes nodes = new ChaosNodes(launch, out);
    try {
      for (int i = 0; i < SIZE; i++) {
        int remote = freePort();
        nodes.slots.add(new Slot(freePort(), freePort(), remote, new TcpRelay(remote)));
      }
      for (int i = 0; i < SIZE; i++) nodes.launch(i);
      for (int i = 0; i < SIZE; i++) nodes.awaitReady(i, Duration.ofMinutes(3));
      return nodes;
    } catch (Exception e) {
      nodes.close();
      throw e;
    }
  }

  /** Node {@code n} (1–3) as the report names it. */
  static String name(int slot) {
    return "node" + (slot + 1);
  }

  List<Integer> httpPorts() {
    return slots.stream().map(Slot::http).toList();
  }

  int httpPort(int slot) {
    return slots.get(slot).http();
  }

  synchronized long pid(int slot) {
    Process p = processes[slot];
    return p == null ? -1 : p.pid();
  }

  synchronized boolean alive(int slot) {
    Process p = processes[slot];
    return p != null && p.isAlive();
  }

  Path log(int slot) {
    return launch.dir().resolve(name(slot) + ".log");
  }

  /**
   * Starts the slot's node. The very first start of the first node lists only itself as seed, so it
   * forms the cluster; every other start lists the two other slots and never itself, so it only
   * ever joins the running cluster and cannot form a second one.
   */
  synchronized void launch(int slot) throws IOException {
    launch(slot, slot == 0 && starts[slot] == 0);
  }

  /**
   * Starts the slot's node; a {@code founder} lists only itself as seed and forms a new cluster
   * (the very first start, or a start after every node was down), the others only join one.
   */
  private synchronized void launch(int slot, boolean founder) throws IOException {
    Slot s = slots.get(slot);
    starts[slot]++;
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(launch.jvmOptions());
    Map<String, String> properties = new LinkedHashMap<>(launch.properties());
    properties.put("pekko.remote.artery.canonical.hostname", "127.0.0.1");
    properties.put("pekko.remote.artery.canonical.port", Integer.toString(s.relay().port()));
    properties.put("pekko.remote.artery.bind.hostname", "127.0.0.1");
    properties.put("pekko.remote.artery.bind.port", Integer.toString(s.remote()));
    List<Integer> seeds = new ArrayList<>();
    for (int i = 0; i < SIZE; i++) {
      if (founder ? i == slot : i != slot) seeds.add(slots.get(i).relay().port());
    }
    for (int i = 0; i < seeds.size(); i++) {
      properties.put(
          "pekko.cluster.seed-nodes." + i, "pekko://stockhold@127.0.0.1:" + seeds.get(i));
    }
    properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
    command.addAll(List.of("-jar", launch.jar().toString(), "serve"));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log(slot).toFile()));
    Map<String, String> env = builder.environment();
    // Only what the harness chooses: a STOCKHOLD_ variable of the caller's shell would change the
    // nodes under test.
    env.keySet().removeIf(k -> k.startsWith("STOCKHOLD_"));
    env.putAll(launch.environment());
    env.put("STOCKHOLD_HTTP_INTERFACE", "127.0.0.1");
    env.put("STOCKHOLD_HTTP_PORT", Integer.toString(s.http()));
    env.put("STOCKHOLD_MANAGEMENT_HOST", "127.0.0.1");
    env.put("STOCKHOLD_MANAGEMENT_PORT", Integer.toString(s.management()));
    Path data = launch.dir().resolve("data").resolve(name(slot));
    Files.createDirectories(data);
    env.put("STOCKHOLD_DATA_DIR", data.toString());
    processes[slot] = builder.start();
    out.printf("  %s started (pid %d)%n", name(slot), processes[slot].pid());
  }

  /** Waits until the slot's node answers /ready with 200. */
  void awaitReady(int slot, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      if (!alive(slot)) {
        throw new IllegalStateException(name(slot) + " exited; see " + log(slot));
      }
      if (ready(slot)) return;
      Thread.sleep(250);
    }
    throw new IllegalStateException(
        name(slot) + " not ready after " + within.toSeconds() + " s; see " + log(slot));
  }

  boolean ready(int slot) {
    try {
      HttpResponse<Void> r =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + slots.get(slot).management() + "/ready"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** SIGKILL: no shutdown hook, no leaving the cluster, as a power cut. */
  void kill(int slot) throws InterruptedException {
    Process p;
    synchronized (this) {
      p = processes[slot];
    }
    if (p == null) return;
    p.destroyForcibly();
    p.waitFor();
  }

  /** Every node killed at once, as a power cut of the whole cluster. */
  void killAll() throws InterruptedException {
    for (int i = 0; i < SIZE; i++) kill(i);
  }

  /** Starts every node after {@link #killAll}: the first forms the cluster again. */
  void startAll(Duration within) throws Exception {
    for (int i = 0; i < SIZE; i++) launch(i, i == 0);
    for (int i = 0; i < SIZE; i++) awaitReady(i, within);
  }

  /** SIGSTOP or SIGCONT to the slot's node. */
  void signal(int slot, String signal) throws IOException, InterruptedException {
    Process kill =
        new ProcessBuilder("kill", "-" + signal, Long.toString(pid(slot)))
            .redirectErrorStream(true)
            .start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + signal + " " + pid(slot) + " failed");
    }
  }

  void cut(int slot) {
    slots.get(slot).relay().cut();
  }

  void heal(int slot) {
    slots.get(slot).relay().heal();
  }

  /**
   * Waits until the slot's node has exited on its own (a downed node shuts itself down), at most
   * {@code within}; true when it has.
   */
  boolean awaitExit(int slot, Duration within) throws InterruptedException {
    Process p;
    synchronized (this) {
      p = processes[slot];
    }
    return p == null || p.waitFor(within.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Every node running and ready again: a node that exited (killed, or downed by the cluster and
   * shut down) is started again on its ports.
   */
  void restoreAll(Duration within) throws Exception {
    for (int i = 0; i < SIZE; i++) {
      heal(i);
      if (!alive(i)) launch(i);
    }
    for (int i = 0; i < SIZE; i++) awaitReady(i, within);
  }

  @Override
  public void close() {
    for (int i = 0; i < processes.length; i++) {
      Process p = processes[i];
      if (p == null || !p.isAlive()) continue;
      try {
        // A node still stopped by SIGSTOP would never see the SIGTERM.
        signal(i, "CONT");
      } catch (IOException | InterruptedException ignored) {
        // it is going away either way
      }
      p.destroy();
    }
    for (Process p : processes) {
      if (p == null) continue;
      try {
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    for (Slot s : slots) s.relay().close();
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
