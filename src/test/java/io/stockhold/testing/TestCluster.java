package io.stockhold.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Stockhold nodes as processes of their own on loopback, sharing one store and joined through seed
 * nodes, as {@code conf/node*.conf} do, with the settings of {@code cluster-test.conf}. A node
 * keeps its slot and its ports across a restart, so clients see the same address.
 */
public final class TestCluster implements AutoCloseable {

  private final TestStore store;
  private final String name;
  private final List<NodeProcess.Ports> ports = new ArrayList<>();
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final List<Integer> starts = new ArrayList<>();

  private final String extraSettings;

  private TestCluster(TestStore store, String name, String extraSettings) {
    this.store = store;
    this.name = name;
    this.extraSettings = extraSettings;
  }

  /**
   * {@code size} nodes; the first is started alone (it is the first seed and forms the cluster),
   * the others together once it is ready.
   */
  public static TestCluster start(TestStore store, String name, int size) throws Exception {
    return start(store, name, size, "");
  }

  /** {@code extraSettings} (HOCON) go over cluster-test.conf, e.g. production SBR timings. */
  public static TestCluster start(TestStore store, String name, int size, String extraSettings)
      throws Exception {
    TestCluster cluster = new TestCluster(store, name, extraSettings);
    try {
      for (int i = 0; i < size; i++) cluster.reserveSlot();
      cluster.launch(0);
      List<Thread> joining = new ArrayList<>();
      List<Exception> failures = new ArrayList<>();
      for (int i = 1; i < size; i++) {
        int slot = i;
        Thread t =
            new Thread(
                () -> {
                  try {
                    cluster.launch(slot);
                  } catch (Exception e) {
                    synchronized (failures) {
                      failures.add(e);
                    }
                  }
                });
        t.start();
        joining.add(t);
      }
      for (Thread t : joining) t.join();
      if (!failures.isEmpty()) throw failures.get(0);
      return cluster;
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
  }

  private synchronized int reserveSlot() {
    ports.add(NodeProcess.Ports.free());
    nodes.add(null);
    starts.add(0);
    return nodes.size() - 1;
  }

  /** Starts one more node, which joins the running cluster; returns its slot. */
  public int add() throws Exception {
    int slot = reserveSlot();
    launch(slot);
    return slot;
  }

  private void launch(int slot) throws Exception {
    int start;
    synchronized (this) {
      start = starts.get(slot) + 1;
      starts.set(slot, start);
    }
    NodeProcess node =
        NodeProcess.start(
            store,
            name + "-" + (slot + 1) + "-" + start,
            ports.get(slot),
            configFile(slot, start == 1 && slot == 0));
    synchronized (this) {
      nodes.set(slot, node);
    }
  }

  /**
   * The node's own --config: the test settings and the seed nodes. The very first start of the
   * first node lists only itself, so it forms the cluster without waiting for another seed. Every
   * other start lists two other slots and never itself, so it only ever joins the running cluster:
   * a restarted first node that listed itself first formed a second cluster when its handshake with
   * the others took longer than {@code seed-node-timeout} (5 s) on a loaded machine, and the two
   * clusters each ran the same items (the journal refused the second writer's events).
   */
  private Path configFile(int slot, boolean founder) throws IOException {
    String settings;
    try (InputStream in = TestCluster.class.getResourceAsStream("/cluster-test.conf")) {
      if (in == null)
        throw new IllegalStateException("cluster-test.conf is missing from the test classpath");
      settings = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    List<NodeProcess.Ports> seedPorts;
    synchronized (this) {
      if (founder) {
        seedPorts = List.of(ports.get(0));
      } else {
        List<NodeProcess.Ports> others = new ArrayList<>(ports);
        others.remove(slot);
        seedPorts = List.copyOf(others.subList(0, Math.min(2, others.size())));
      }
    }
    String seeds =
        seedPorts.stream()
            .map(p -> "\"pekko://stockhold@127.0.0.1:" + p.remote() + "\"")
            .collect(Collectors.joining(", ", "[", "]"));
    Path file = Path.of("target", name + "-node" + (slot + 1) + ".conf").toAbsolutePath();
    Files.writeString(
        file, settings + "\n" + extraSettings + "\npekko.cluster.seed-nodes = " + seeds + "\n");
    return file;
  }

  public synchronized NodeProcess node(int slot) {
    return nodes.get(slot);
  }

  public synchronized int size() {
    return nodes.size();
  }

  /**
   * The HTTP ports of every slot, running or not: what a load balancer would be configured with.
   */
  public synchronized List<Integer> httpPorts() {
    return ports.stream().map(NodeProcess.Ports::http).toList();
  }

  /**
   * SIGTERM, wait for the exit (shards handed off, cluster left), start again on the same ports.
   */
  public long restart(int slot) throws Exception {
    long started = System.nanoTime();
    node(slot).stop(Duration.ofSeconds(60));
    launch(slot);
    return (System.nanoTime() - started) / 1_000_000;
  }

  /**
   * A value of this node's /metrics, e.g. {@code stockhold_sharding_shards{entity="StockItem"}}; -1
   * when absent.
   */
  public double metric(int slot, String series) {
    Client.Response r = new Client(node(slot).managementPort()).get("/metrics");
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)$").matcher(r.body());
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  @Override
  public void close() throws InterruptedException {
    List<NodeProcess> running;
    synchronized (this) {
      running = new ArrayList<>(nodes);
    }
    for (NodeProcess node : running) {
      if (node != null) node.kill();
    }
  }
}
