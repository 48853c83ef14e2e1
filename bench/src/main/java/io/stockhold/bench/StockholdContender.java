package io.stockhold.bench;

import io.stockhold.bench.Seller.Outcome;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stockhold through its public HTTP API, as a checkout would call it: {@code POST /v1/reservations}
 * for one unit on channel {@code web} with an {@code Idempotency-Key}, one keep-alive HTTP/1.1
 * connection per buyer ({@link PlainHttp}). A 201 is a sale, a 409 {@code insufficient-stock} is
 * "sold out", a 503 {@code overloaded} is "try again"; anything else (503 timeout, a broken
 * connection) leaves the buyer not knowing — the books-balance check counts those.
 */
final class StockholdContender implements Contender {

  /** Holds outlive the bench, so none expires and gives a unit back mid-run. */
  private static final int HOLD_SECONDS = 3600;

  private final String name;
  private final String locationPrefix;
  private final List<Integer> httpPorts;
  private final String apiKey;
  private final AtomicInteger connections = new AtomicInteger();

  /**
   * Buyers of the system {@code name}, whose items are at {@code <locationPrefix><workload>}, each
   * presenting {@code apiKey}; with several nodes, the buyers' connections go to {@code httpPorts}
   * in turn.
   */
  StockholdContender(String name, String locationPrefix, List<Integer> httpPorts, String apiKey) {
    this.name = name;
    this.locationPrefix = locationPrefix;
    this.httpPorts = List.copyOf(httpPorts);
    this.apiKey = apiKey;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String approach() {
    return "Stockhold HTTP API: POST /v1/reservations, 1 unit, channel web, Idempotency-Key, an"
        + " ordinary API key; one keep-alive HTTP/1.1 connection per buyer. Gives holds with"
        + " deadlines that lapse by themselves, idempotent retries, every change as an event to the"
        + " ERP (no gap, de-duplicable), live levels and a read model; a reply only once durable";
  }

  /**
   * Counts every item's shelf to the workload's units ({@code setOnHand}), 64 requests at a time: a
   * new item's first request waits on database round trips (it is remembered, recovered, then
   * written), so many in parallel fill the time.
   */
  @Override
  public void stock(Workload w) throws Exception {
    if (w.key().equals("pool")) {
      stockPool(w);
      return;
    }
    stockItems(w, location(w), w.unitsPerItem());
  }

  /** Locations a pool workload's pool lists. */
  static final int POOL_LOCATIONS = 3;

  /** The pool a location of a pool workload belongs to ({@code <pool>-<n>}), or null. */
  static String poolOf(String location) {
    int dash = location.lastIndexOf('-');
    if (dash < 0 || !location.substring(0, dash).endsWith("pool")) return null;
    return location.substring(dash + 1).matches("[1-9]") ? location.substring(0, dash) : null;
  }

  /**
   * A pool of {@value #POOL_LOCATIONS} locations, each with a share of the workload's units of
   * every SKU, so a pool line is filled by the first location most of the time and split near the
   * end, as in a shop.
   */
  private void stockPool(Workload w) throws Exception {
    List<String> locations = new ArrayList<>();
    for (int i = 1; i <= POOL_LOCATIONS; i++) {
      locations.add(location(w) + "-" + i);
      stockItems(w, location(w) + "-" + i, Math.max(1, w.unitsPerItem() / POOL_LOCATIONS));
    }
    try (PlainHttp http = connection()) {
      PlainHttp.Response r =
          http.put(
              "/v1/pools/" + location(w),
              "{\"locations\":[\"" + String.join("\",\"", locations) + "\"]}");
      if (r.status() != 200) throw new IOException("pool " + r.status() + " " + r.body());
    }
  }

  private void stockItems(Workload w, String location, long units) throws Exception {
    AtomicInteger next = new AtomicInteger();
    List<Future<Void>> stockers = new ArrayList<>();
    int parallel = Math.min(64, w.items());
    try (ExecutorService pool =
        Executors.newFixedThreadPool(parallel, r -> new Thread(r, "bench-stocker"))) {
      for (int i = 0; i < parallel; i++) {
        stockers.add(
            pool.submit(
                () -> {
                  try (PlainHttp http = connection()) {
                    for (int item = next.getAndIncrement();
                        item < w.items();
                        item = next.getAndIncrement()) {
                      count(http, location, units, item);
                    }
                  }
                  return null;
                }));
      }
      for (Future<Void> f : stockers) f.get();
    }
  }

  /**
   * One item's count, with an Idempotency-Key so that a 503 (a new item starting slowly on a busy
   * machine: its shard allocated, the item recovered, on a cold node or cluster) can be retried
   * without counting twice; for a minute at most.
   */
  private void count(PlainHttp http, String location, long units, int item)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    String path = "/v1/stock/" + location + "/" + Workload.sku(item);
    for (int attempt = 1; ; attempt++) {
      PlainHttp.Response r =
          http.post(
              path + "/adjustments",
              "{\"setOnHand\":" + units + ",\"reason\":\"count\",\"reference\":\"bench\"}",
              "Idempotency-Key: bench-stock-" + location + "-" + item);
      if (r.status() == 200) return;
      if (r.status() != 503 || System.nanoTime() > deadline) {
        throw new IOException("stocking " + path + " answered " + r.status() + " " + r.body());
      }
      Thread.sleep(Math.min(1000, 200L * attempt));
    }
  }

  @Override
  public Seller open(Workload w) {
    PlainHttp http = connection();
    String keyPrefix = "Idempotency-Key: bench-" + UUID.randomUUID() + "-";
    return new HttpSeller(http) {
      long keys;

      @Override
      public Outcome sell(int item) throws IOException {
        PlainHttp.Response r =
            http.post(
                "/v1/reservations",
                "{\"channel\":\"web\",\"ttlSeconds\":"
                    + HOLD_SECONDS
                    + ",\"lines\":[{\""
                    + (w.key().equals("pool") ? "pool" : "location")
                    + "\":\""
                    + location(w)
                    + "\",\"sku\":\""
                    + Workload.sku(item)
                    + "\",\"quantity\":1}]}",
                keyPrefix + keys++);
        return switch (r.status()) {
          case 201 -> Outcome.SOLD;
          case 409 -> {
            if (!r.body().contains("insufficient-stock")) throw new IOException("409 " + r.body());
            yield Outcome.SOLD_OUT;
          }
          // overloaded: refused before the item decided anything. timeout/restarting: unknown.
          case 503 -> r.body().contains("/overloaded") ? Outcome.TURNED_AWAY : Outcome.UNKNOWN;
          default -> throw new IOException("HTTP " + r.status() + " " + r.body());
        };
      }
    };
  }

  /**
   * The warm-up's buyers: each cycles through a read, a sale of {@code w} (plenty of units) and a
   * request for {@code soldOut} (one unit, gone at once), so every path the phases take is compiled
   * before they are measured.
   */
  Seller openWarmUp(Workload w, Workload soldOut) {
    List<Seller> cycle = new ArrayList<>();
    try {
      cycle.add(openReader(w));
      cycle.add(open(w));
      cycle.add(open(soldOut));
    } catch (RuntimeException e) {
      cycle.forEach(Seller::close);
      throw e;
    }
    return new Seller() {
      int next;

      @Override
      public Outcome sell(int item) throws Exception {
        next = (next + 1) % cycle.size();
        return cycle.get(next).sell(item);
      }

      @Override
      public void close() {
        cycle.forEach(Seller::close);
      }
    };
  }

  /**
   * The read-path baseline: {@code GET /v1/stock/{location}/{sku}} on the same kind of connection.
   */
  Seller openReader(Workload w) {
    PlainHttp http = connection();
    return new HttpSeller(http) {
      @Override
      public Outcome sell(int item) throws IOException {
        PlainHttp.Response r = http.get(itemPath(w, item));
        if (r.status() != 200) throw new IOException("HTTP " + r.status() + " " + r.body());
        return Outcome.READ;
      }
    };
  }

  /** Stockhold's sales are read from its journal once the node has stopped, not per phase. */
  @Override
  public Optional<long[]> recordedSales(Workload w) {
    return Optional.empty();
  }

  private String location(Workload w) {
    return locationPrefix + w.key();
  }

  private String itemPath(Workload w, int item) {
    return "/v1/stock/" + location(w) + "/" + Workload.sku(item);
  }

  private PlainHttp connection() {
    int port = httpPorts.get(Math.floorMod(connections.getAndIncrement(), httpPorts.size()));
    return new PlainHttp("127.0.0.1", port, apiKey);
  }

  private abstract static class HttpSeller implements Seller {
    private final PlainHttp http;

    HttpSeller(PlainHttp http) {
      this.http = http;
    }

    @Override
    public void close() {
      http.close();
    }
  }
}
