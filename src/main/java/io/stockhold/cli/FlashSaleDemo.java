package io.stockhold.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.stockhold.access.MasterKey;
import io.stockhold.node.StockholdNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.slf4j.LoggerFactory;

/**
 * {@code stockhold demo}: a flash sale in one process. A node starts on a fresh embedded store; a
 * few units go on sale; hundreds of buyers on web, mobile and POS reserve and commit over real
 * HTTP, all at once. Then the node stops and the journal — not a counter — says whether anything
 * was oversold.
 */
public final class FlashSaleDemo {

  private static final String LOCATION = "demo-store";
  private static final String SKU = "flash-tv-55";
  private static final List<String> CHANNELS = List.of("web", "mobile", "pos");
  private static final Pattern ON_HAND = Pattern.compile("\"onHand\":(-?\\d+)");

  private FlashSaleDemo() {}

  /** Runs the sale and returns the exit code: 0 only when nothing was oversold. */
  public static int run(int units, int buyers, PrintStream out) throws Exception {
    // The store is the demo's alone: nothing of it is worth keeping once the audit has read it.
    try (ScratchDir dataDir = ScratchDir.create("stockhold-demo")) {
      return run(units, buyers, dataDir.path(), out);
    }
  }

  /** Half the buyers on web, a sixth on pos, the rest on mobile: a flash sale is mostly online. */
  static String channel(int buyer) {
    return CHANNELS.get(buyer % 2 == 0 ? 0 : (buyer % 3 == 0 ? 2 : 1));
  }

  /** The channels that {@code buyers} buyers use, in the order of {@link #CHANNELS}. */
  static List<String> channelsOf(int buyers) {
    return CHANNELS.stream()
        .filter(c -> IntStream.range(0, buyers).anyMatch(b -> channel(b).equals(c)))
        .toList();
  }

  private static int run(int units, int buyers, Path dataDir, PrintStream out) throws Exception {
    // The node lives only as long as the demo: a master key of its own, kept in memory and shown
    // to nobody, is the only key its buyers need (and no master.key file is left to clean up).
    String masterKey = MasterKey.generate();
    Config config =
        ConfigFactory.parseMap(
                Map.of(
                    "stockhold.data-dir",
                    dataDir.toString(),
                    "stockhold.db.url",
                    "",
                    "stockhold.auth.master-key",
                    masterKey,
                    "stockhold.http.interface",
                    "127.0.0.1",
                    "stockhold.http.port",
                    0,
                    "pekko.remote.artery.canonical.port",
                    0,
                    "pekko.management.http.port",
                    freePort(),
                    "pekko.coordinated-shutdown.exit-jvm",
                    "off",
                    "pekko.loglevel",
                    "WARNING"))
            .withFallback(ConfigFactory.load());
    out.printf("Starting a Stockhold node on a fresh embedded store (%s) ...%n", dataDir);
    Logger access = (Logger) LoggerFactory.getLogger("io.stockhold.http.access");
    access.setLevel(Level.WARN);

    Sale sale;
    try (StockholdNode node = StockholdNode.start(config)) {
      String base = "http://127.0.0.1:" + node.httpPort();
      HttpClient http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(5))
              .build();
      send(
          http,
          masterKey,
          base + "/v1/stock/" + LOCATION + "/" + SKU + "/adjustments",
          "{\"setOnHand\":" + units + ",\"reason\":\"count\",\"reference\":\"demo\"}",
          null);
      out.printf(
          "%d units of %s/%s on sale; %d buyers on %s rush in over HTTP.%n",
          units, LOCATION, SKU, buyers, String.join(", ", channelsOf(buyers)));
      sale = new Sale(buyers, masterKey);
      sale.run(http, base, out);
      String level =
          send(http, masterKey, base + "/v1/stock/" + LOCATION + "/" + SKU, null, null).body();
      Matcher m = ON_HAND.matcher(level);
      sale.onHandAfter = m.find() ? Long.parseLong(m.group(1)) : Long.MIN_VALUE;
    }

    out.println("Node stopped. Replaying the journal to check every invariant ...");
    Config store =
        ConfigFactory.parseMap(
                Map.of("stockhold.data-dir", dataDir.toString(), "stockhold.db.url", ""))
            .withFallback(ConfigFactory.load());
    JournalAudit.Report report = JournalAudit.run(store);
    long oversold = Math.max(0, report.unitsCommitted() - units);

    out.println();
    out.printf("  %-28s %s%n", "units on sale", units);
    out.printf("  %-28s %s%n", "buyers", sale.perChannel(sale.buyers));
    out.printf(
        "  %-28s %d  (%s)%n",
        "sold (reserved + committed)", sale.total(sale.sold), sale.perChannel(sale.sold));
    out.printf("  %-28s %d%n", "rejected: sold out", sale.rejected.sum());
    out.printf(
        "  %-28s %d%s%n",
        "errors",
        sale.errors.sum(),
        sale.firstError.get() == null ? "" : "  (first: " + sale.firstError.get() + ")");
    out.printf(
        "  %-28s %d  (journal: %d units committed, %d holds placed)%n",
        "oversold", oversold, report.unitsCommitted(), report.holdsPlaced());
    out.printf("  %-28s %d%n", "onHand after the sale", sale.onHandAfter);
    out.printf(
        "  %-28s %.0f requests/s over %.2f s; reserve latency p50 %.1f ms, p99 %.1f ms%n",
        "throughput",
        sale.requests.sum() / sale.seconds,
        sale.seconds,
        sale.percentile(0.50),
        sale.percentile(0.99));
    out.printf(
        "  %-28s %s%n",
        "journal invariants",
        report.clean()
            ? "all hold (" + report.items().size() + " item checked)"
            : report.violations().size() + " VIOLATED");
    report.violations().forEach(v -> out.println("  VIOLATION " + v));
    boolean ok = oversold == 0 && report.clean() && sale.errors.sum() == 0;
    out.println(ok ? "Nothing was oversold." : "FAILED: see above.");
    return ok ? 0 : 1;
  }

  /** The buyers, their outcomes and their timings. */
  private static final class Sale {
    final int buyerCount;
    final String masterKey;
    final Map<String, AtomicInteger> buyers = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> sold = new ConcurrentHashMap<>();
    final LongAdder rejected = new LongAdder();
    final LongAdder errors = new LongAdder();
    final AtomicReference<String> firstError = new AtomicReference<>();
    final LongAdder requests = new LongAdder();
    final long[] latenciesMicros;
    double seconds;
    long onHandAfter;

    Sale(int buyerCount, String masterKey) {
      this.buyerCount = buyerCount;
      this.masterKey = masterKey;
      this.latenciesMicros = new long[buyerCount];
      CHANNELS.forEach(
          c -> {
            buyers.put(c, new AtomicInteger());
            sold.put(c, new AtomicInteger());
          });
    }

    void run(HttpClient http, String base, PrintStream out) throws InterruptedException {
      CountDownLatch start = new CountDownLatch(1);
      CountDownLatch done = new CountDownLatch(buyerCount);
      try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int i = 0; i < buyerCount; i++) {
          int buyer = i;
          String channel = channel(i);
          buyers.get(channel).incrementAndGet();
          pool.submit(
              () -> {
                try {
                  start.await();
                  buy(http, base, buyer, channel);
                } catch (Exception e) {
                  errors.increment();
                  firstError.compareAndSet(null, e.toString());
                } finally {
                  done.countDown();
                }
                return null;
              });
        }
        long began = System.nanoTime();
        start.countDown();
        while (!done.await(250, TimeUnit.MILLISECONDS)) {
          out.printf(
              "\r  sold %d  rejected %d  errors %d  waiting %d   ",
              total(sold), rejected.sum(), errors.sum(), done.getCount());
        }
        seconds = (System.nanoTime() - began) / 1e9;
        out.printf(
            "\r  sold %d  rejected %d  errors %d  waiting 0   %n",
            total(sold), rejected.sum(), errors.sum());
      }
    }

    private void buy(HttpClient http, String base, int buyer, String channel) throws Exception {
      String body =
          "{\"channel\":\""
              + channel
              + "\",\"ttlSeconds\":120,\"lines\":[{\"location\":\""
              + LOCATION
              + "\",\"sku\":\""
              + SKU
              + "\",\"quantity\":1}]}";
      long t0 = System.nanoTime();
      HttpResponse<String> reserved =
          send(http, masterKey, base + "/v1/reservations", body, "demo-buyer-" + buyer);
      latenciesMicros[buyer] = (System.nanoTime() - t0) / 1000;
      requests.increment();
      if (reserved.statusCode() == 409) {
        rejected.increment();
        return;
      }
      if (reserved.statusCode() != 201) {
        errors.increment();
        firstError.compareAndSet(
            null, "reserve answered " + reserved.statusCode() + ": " + reserved.body());
        return;
      }
      String location = reserved.headers().firstValue("Location").orElseThrow();
      HttpResponse<String> committed = send(http, masterKey, base + location + "/commit", "", null);
      requests.increment();
      if (committed.statusCode() == 200) {
        sold.get(channel).incrementAndGet();
      } else {
        errors.increment();
        firstError.compareAndSet(
            null, "commit answered " + committed.statusCode() + ": " + committed.body());
      }
    }

    int total(Map<String, AtomicInteger> counts) {
      return counts.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    String perChannel(Map<String, AtomicInteger> counts) {
      List<String> parts = new ArrayList<>();
      CHANNELS.forEach(c -> parts.add(c + " " + counts.get(c).get()));
      return String.join(", ", parts);
    }

    double percentile(double p) {
      long[] sorted = latenciesMicros.clone();
      Arrays.sort(sorted);
      return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1000.0;
    }
  }

  /** A request that presents {@code masterKey}; {@code idempotencyKey} is sent when not null. */
  private static HttpResponse<String> send(
      HttpClient http, String masterKey, String url, String body, String idempotencyKey)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + masterKey);
    if (body == null) {
      request.GET();
    } else {
      request
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body));
    }
    if (idempotencyKey != null) request.header("Idempotency-Key", idempotencyKey);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
