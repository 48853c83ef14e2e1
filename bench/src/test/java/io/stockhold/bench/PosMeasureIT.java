package io.stockhold.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.stockhold.api.grpc.v1.PointOfSaleClient;
import io.stockhold.api.grpc.v1.Pos;
import io.stockhold.testing.Client;
import io.stockhold.testing.NodeProcess;
import io.stockhold.testing.TestKeys;
import io.stockhold.testing.TestStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Measurements for the POS bridge, not run by default (they take minutes and load the machine):
 * reserve round trips over gRPC and REST at the same load, and what concurrent WatchStock streams
 * cost one node. The node runs in a process of its own (the shaded jar), so its heap is its own.
 *
 * <pre>
 * mvn -B verify -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=PosMeasureIT \
 *     -Dstockhold.measure=true [-Dstockhold.measure.store=POSTGRES] [-Dstockhold.measure.streams=1000,5000]
 * </pre>
 *
 * Results are printed and written to {@code target/pos-measure.txt}.
 */
class PosMeasureIT {

  private static final int CALLERS = Integer.getInteger("stockhold.measure.callers", 8);
  private static final Duration RUN =
      Duration.ofSeconds(Long.getLong("stockhold.measure.seconds", 10));
  private static final Duration WARM_UP = Duration.ofSeconds(3);

  private static void requireOptIn() {
    Assumptions.assumeTrue(
        Boolean.getBoolean("stockhold.measure"),
        "a measurement; run it with -Dstockhold.measure=true");
  }

  private static TestStore.Kind storeKind() {
    return TestStore.Kind.valueOf(System.getProperty("stockhold.measure.store", "H2"));
  }

  private static ActorSystem<Void> clientSystem() {
    return ActorSystem.create(
        Behaviors.empty(),
        "measure",
        ConfigFactory.parseString("pekko.actor.provider = local\npekko.loglevel = WARNING")
            .withFallback(ConfigFactory.defaultReference()));
  }

  private static PointOfSaleClient client(ActorSystem<?> system, int port) {
    return PointOfSaleClient.create(
        GrpcClientSettings.connectToServiceAt("127.0.0.1", port, system)
            .withTls(false)
            .withCallCredentials(TestKeys.grpc(TestKeys.MASTER)),
        system);
  }

  private static void report(String text) throws Exception {
    System.out.println(text);
    Path out = Path.of("target", "pos-measure.txt");
    Files.writeString(
        out,
        text + System.lineSeparator(),
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  // ================================================================== reserve latency

  private interface Call {
    void reserve(String sku, String requestId) throws Exception;
  }

  private record Result(String name, long calls, long[] nanos, double seconds) {
    long percentile(double p) {
      return nanos[Math.min(nanos.length - 1, (int) Math.ceil(p / 100.0 * nanos.length) - 1)];
    }

    String line() {
      return String.format(
          "%-5s %8d calls %8.0f/s  p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  max %7.2f ms",
          name,
          calls,
          calls / seconds,
          percentile(50) / 1e6,
          percentile(90) / 1e6,
          percentile(99) / 1e6,
          nanos[nanos.length - 1] / 1e6);
    }
  }

  /**
   * {@code CALLERS} callers, each reserving one unit at a time on items of its own, for {@code
   * length}.
   */
  private static Result run(String name, Call call, Duration length, String prefix)
      throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(CALLERS);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<long[]>> callers = new ArrayList<>();
      for (int c = 0; c < CALLERS; c++) {
        int caller = c;
        callers.add(
            threads.submit(
                () -> {
                  long[] samples = new long[1 << 16];
                  int n = 0;
                  go.await();
                  long end = System.nanoTime() + length.toNanos();
                  while (System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    call.reserve("sku-" + caller + "-" + (n % 8), prefix + "-" + caller + "-" + n);
                    if (n == samples.length) samples = Arrays.copyOf(samples, n * 2);
                    samples[n++] = System.nanoTime() - t0;
                  }
                  return Arrays.copyOf(samples, n);
                }));
      }
      long started = System.nanoTime();
      go.countDown();
      List<long[]> all = new ArrayList<>();
      for (Future<long[]> f : callers) all.add(f.get(length.toSeconds() + 120, TimeUnit.SECONDS));
      double seconds = (System.nanoTime() - started) / 1e9;
      long[] merged = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
      return new Result(name, merged.length, merged, seconds);
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void reserveLatencyOverGrpcAndRestAtTheSameLoad() throws Exception {
    requireOptIn();
    ActorSystem<Void> system = clientSystem();
    try (TestStore store = TestStore.create(storeKind());
        NodeProcess node = NodeProcess.start(store, "measure-latency")) {
      Client rest = new Client(node.httpPort());
      for (int c = 0; c < CALLERS; c++) {
        for (int i = 0; i < 8; i++)
          assertEquals(200, rest.stock("lat", "sku-" + c + "-" + i, 10_000_000).status());
      }
      PointOfSaleClient pos = client(system, node.httpPort());
      Call grpc =
          (sku, key) -> {
            Pos.Reservation r =
                pos.reserve(
                        Pos.ReserveRequest.newBuilder()
                            .setRequestId(key)
                            .setTerminalId("bench")
                            .addLines(
                                Pos.Line.newBuilder().setLocation("lat").setSku(sku).setQuantity(1))
                            .setTtlSeconds(30)
                            .build())
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            if (r.getStatus() != Pos.ReservationStatus.RESERVATION_STATUS_HELD)
              throw new AssertionError(r.toString());
          };
      Call http =
          (sku, key) -> {
            Client.Response r = rest.reserve("pos", "lat", sku, 1, 30L, key);
            if (r.status() != 201) throw new AssertionError(r.toString());
          };
      run("warm", grpc, WARM_UP, "wg");
      run("warm", http, WARM_UP, "wr");
      List<Result> results = new ArrayList<>();
      // REST, gRPC, then both again: an order effect shows as a difference between the rounds.
      results.add(run("REST", http, RUN, "r1"));
      results.add(run("gRPC", grpc, RUN, "g1"));
      results.add(run("REST", http, RUN, "r2"));
      results.add(run("gRPC", grpc, RUN, "g2"));
      pos.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
      StringBuilder text =
          new StringBuilder(
              String.format(
                  "reserve round trip, %d callers x %d s each, one unit per call on %d items, store"
                      + " %s, node in its own JVM (-Xmx512m), %d cores shared by client and node%n",
                  CALLERS,
                  RUN.toSeconds(),
                  CALLERS * 8,
                  storeKind(),
                  Runtime.getRuntime().availableProcessors()));
      for (Result r : results) text.append(r.line()).append(System.lineSeparator());
      report(text.toString());
    } finally {
      system.terminate();
    }
  }

  // ================================================================== WatchStock streams

  private static final Pattern USED = Pattern.compile("used (\\d+)K");

  /** The node's used heap after a full GC, in bytes, from jcmd. */
  private static long heapAfterGc(long pid) throws Exception {
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    for (int i = 0; i < 2; i++) exec(jcmd, Long.toString(pid), "GC.run");
    String info = exec(jcmd, Long.toString(pid), "GC.heap_info");
    Matcher m = USED.matcher(info);
    if (!m.find()) throw new AssertionError("no used heap in: " + info);
    return Long.parseLong(m.group(1)) * 1024;
  }

  private static String exec(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) throw new AssertionError(String.join(" ", command) + ": " + out);
    return out;
  }

  @Test
  void concurrentWatchStockStreamsAndWhatTheyCostOneNode() throws Exception {
    requireOptIn();
    int[] counts =
        Arrays.stream(System.getProperty("stockhold.measure.streams", "1000,5000").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();
    int skus = 50;
    int perChannel = 200; // below the server's 256 concurrent streams per HTTP/2 connection
    ActorSystem<Void> system = clientSystem();
    try (TestStore store = TestStore.create(storeKind());
        NodeProcess node = NodeProcess.start(store, "measure-watch")) {
      Client rest = new Client(node.httpPort());
      for (int i = 0; i < skus; i++)
        assertEquals(200, rest.stock("watch", "sku-" + i, 1_000).status());
      Thread.sleep(2_000);
      long base = heapAfterGc(node.pid());
      StringBuilder text =
          new StringBuilder(
              String.format(
                  "WatchStock streams on one node (own JVM, -Xmx512m, store %s): each lists 1 of %d"
                      + " skus at one location; %d streams per HTTP/2 connection%n  node heap after"
                      + " GC with no stream: %.1f MiB%n",
                  storeKind(), skus, perChannel, base / 1048576.0));
      List<PointOfSaleClient> channels = new ArrayList<>();
      AtomicInteger started = new AtomicInteger();
      int open = 0;
      for (int target : counts) {
        CountDownLatch first = new CountDownLatch(target - open);
        long t0 = System.nanoTime();
        // Every stream counts its first element (the current level), and then each change it sees.
        List<AtomicInteger> seenBySku0 = new ArrayList<>();
        for (int i = open; i < target; i++) {
          if (i % perChannel == 0) channels.add(client(system, node.httpPort()));
          PointOfSaleClient pos = channels.get(channels.size() - 1);
          String sku = "sku-" + (i % skus);
          AtomicInteger seen = new AtomicInteger();
          if (i % skus == 0) seenBySku0.add(seen);
          pos.watchStock(
                  Pos.WatchStockRequest.newBuilder().setLocation("watch").addSkus(sku).build())
              .runWith(
                  Sink.foreach(
                      level -> {
                        if (seen.incrementAndGet() == 1) {
                          started.incrementAndGet();
                          first.countDown();
                        }
                      }),
                  system);
        }
        assertTrue(
            first.await(5, TimeUnit.MINUTES),
            "streams that got their first level: " + started.get());
        double openSeconds = (System.nanoTime() - t0) / 1e9;
        open = target;
        long used = heapAfterGc(node.pid());

        // One change to sku-0, and how long until every one of its newest watchers has it.
        long t1 = System.nanoTime();
        assertEquals(
            200,
            rest.post("/v1/stock/watch/sku-0/adjustments", "{\"delta\":-1,\"reason\":\"damage\"}")
                .status());
        double fanOutMs =
            waitForAll(seenBySku0, 2, Duration.ofSeconds(60)) ? (System.nanoTime() - t1) / 1e6 : -1;
        text.append(
            String.format(
                "  %5d streams open (%.1f s to open all): node heap after GC %.1f MiB, %.1f KiB per"
                    + " stream; a change reached the %d newest watchers of its sku in %.0f ms%n",
                open,
                openSeconds,
                used / 1048576.0,
                (used - base) / 1024.0 / open,
                seenBySku0.size(),
                fanOutMs));
      }
      report(text.toString());
      for (PointOfSaleClient c : channels)
        c.close().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } finally {
      system.terminate();
    }
  }

  private static boolean waitForAll(List<AtomicInteger> counters, int atLeast, Duration within)
      throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      if (counters.stream().allMatch(c -> c.get() >= atLeast)) return true;
      Thread.sleep(5);
    }
    return false;
  }
}
