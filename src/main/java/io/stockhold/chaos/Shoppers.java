package io.stockhold.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.stockhold.api.grpc.v1.PointOfSaleClient;
import io.stockhold.api.grpc.v1.Pos;
import io.stockhold.chaos.History.Line;
import io.stockhold.chaos.History.Operation;
import io.stockhold.chaos.History.Outcome;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The clients of a chaos run: shoppers that do what shops do — hold one unit or a cart of several
 * items, commit, release, extend, receive stock — over HTTP at the three nodes, every write with an
 * idempotency key. A call without a deciding answer (timeout, dropped connection, 5xx, a node still
 * joining) is retried with the same key at the next node, a few times; what it finally got goes to
 * the history.
 */
final class Shoppers implements AutoCloseable {

  /** The catalogue: {@code locations} × {@code skus} items, each stocked at the start. */
  record Catalogue(List<String> locations, int skus, long initialUnits) {
    List<Line> items() {
      List<Line> items = new ArrayList<>();
      for (String location : locations) {
        for (int i = 0; i < skus; i++) items.add(new Line(location, sku(i), 1));
      }
      return items;
    }

    static String sku(int i) {
      return String.format("sku-%02d", i);
    }
  }

  /** What the shoppers do, for the report. */
  static final String MIX =
      "35% single holds (1–2 units), 15% two-line carts, 20% commits, 12% releases, 6% extends"
          + " (60 s), 6% receipts (+1–3 units), 3% POS offline sales (1 unit, gRPC), 3% reads;"
          + " holds of 20–90 s";

  private static final int ATTEMPTS = 4;
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(8);

  /** gRPC statuses that decided nothing: the sale is sent again. */
  private static final Set<Status.Code> UNDECIDED =
      Set.of(
          Status.Code.UNAVAILABLE,
          Status.Code.DEADLINE_EXCEEDED,
          Status.Code.UNKNOWN,
          Status.Code.INTERNAL,
          Status.Code.CANCELLED,
          Status.Code.RESOURCE_EXHAUSTED,
          Status.Code.UNAUTHENTICATED);

  /** 409s that decided nothing yet: ask again. */
  private static final Set<String> NOT_DECIDED = Set.of("request-in-progress");

  private final String runId;
  private final String apiKey;
  private final String keyId;
  private final List<Integer> httpPorts;
  private final Catalogue catalogue;
  private final History history;
  private final AtomicLong ops = new AtomicLong();
  private volatile boolean stopped;
  private final LongAdder unknown = new LongAdder();
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  /**
   * POS terminals: a gRPC client per node, on an actor system of the shoppers' own (made at the
   * first sale).
   */
  private ActorSystem tills;

  private final List<PointOfSaleClient> pos = new ArrayList<>();

  Shoppers(
      String runId,
      String apiKey,
      String keyId,
      List<Integer> httpPorts,
      Catalogue catalogue,
      History history) {
    this.runId = runId;
    this.apiKey = apiKey;
    this.keyId = keyId;
    this.httpPorts = httpPorts;
    this.catalogue = catalogue;
    this.history = history;
  }

  long operations() {
    return ops.get();
  }

  long unknownOutcomes() {
    return unknown.sum();
  }

  /** Stocks every item of the catalogue (an adjustment with its own key, like any other write). */
  void stockAll() {
    for (Line item : catalogue.items()) stock(item, catalogue.initialUnits());
  }

  void stock(Line item, long units) {
    Operation op = adjust(item.location(), item.sku(), units);
    if (op.outcome() != Outcome.OK) {
      throw new IllegalStateException(
          "could not stock " + item.item() + ": " + op.status() + " " + op.detail());
    }
  }

  /**
   * Runs {@code shoppers} concurrent shoppers until {@code until} or until {@code maxOperations}
   * operations have been made.
   */
  void run(int shoppers, Instant until, long maxOperations) throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < shoppers; i++) {
      long seed = i;
      threads.add(
          Thread.ofVirtual()
              .name("shopper-" + i)
              .start(() -> shop(new SplittableRandom(seed), until, maxOperations)));
    }
    for (Thread t : threads) t.join();
  }

  /** Closes the POS terminals' clients. */
  @Override
  public synchronized void close() {
    if (tills == null) return;
    for (PointOfSaleClient client : pos) client.close();
    tills.terminate();
    tills = null;
  }

  private synchronized PointOfSaleClient till(int node) {
    if (tills == null) {
      // Local only: the harness is no cluster member.
      tills =
          ActorSystem.create(
              "chaos-tills",
              ConfigFactory.parseString("pekko.actor.provider = local")
                  .withFallback(ConfigFactory.load()));
      for (int port : httpPorts) {
        pos.add(
            PointOfSaleClient.create(
                GrpcClientSettings.connectToServiceAt("127.0.0.1", port, tills).withTls(false),
                tills));
      }
    }
    return pos.get(node);
  }

  /**
   * A till syncs one sale it made offline (gRPC SyncOfflineSales), retried with the same sale id at
   * the next node when no summary comes back: applied, a duplicate or oversold count as done (the
   * item recorded it), rejected as refused.
   */
  private void offlineSale(Line item) {
    long number = ops.incrementAndGet();
    String saleId = runId + "-" + number;
    Pos.OfflineSale sale =
        Pos.OfflineSale.newBuilder()
            .setSaleId(saleId)
            .setTerminalId("chaos-till")
            .setLocation(item.location())
            .setSku(item.sku())
            .setQuantity(item.quantity())
            .setSoldAtEpochMs(System.currentTimeMillis())
            .build();
    Instant callAt = Instant.now();
    int node = (int) Math.floorMod(callAt.toEpochMilli() + saleId.hashCode(), httpPorts.size());
    Outcome outcome = Outcome.UNKNOWN;
    String detail = null;
    int attempt = 0;
    while (attempt < ATTEMPTS) {
      attempt++;
      try {
        Pos.SyncSummary summary =
            till(node)
                .syncOfflineSales()
                .addHeader("authorization", "Bearer " + apiKey)
                .invoke(Source.single(sale))
                .toCompletableFuture()
                .get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        detail = summary.toString().replace('\n', ' ').trim();
        outcome = summary.getRejected() == 1 ? Outcome.REFUSED : Outcome.OK;
        break;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (ExecutionException | TimeoutException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        detail = cause.getClass().getSimpleName() + ": " + cause.getMessage();
        if (cause instanceof StatusRuntimeException refused
            && !UNDECIDED.contains(refused.getStatus().getCode())) {
          outcome = Outcome.REFUSED;
          break;
        }
      }
      node = (node + 1) % httpPorts.size();
      if (!backOff(attempt)) break;
    }
    if (outcome == Outcome.UNKNOWN) unknown.increment();
    history.record(
        new Operation(
            number,
            "sale",
            node + 1,
            saleId,
            keyId,
            null,
            List.of(item),
            item.quantity(),
            callAt,
            Instant.now(),
            outcome,
            outcome == Outcome.UNKNOWN ? 0 : 200,
            attempt,
            detail));
  }

  /** A pause that grows with each attempt; false when interrupted. */
  private static boolean backOff(int attempt) {
    try {
      Thread.sleep(300L * attempt);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The shoppers finish the operation they are in and stop. */
  void stop() {
    stopped = true;
  }

  private void shop(SplittableRandom random, Instant until, long maxOperations) {
    List<String> mine = new ArrayList<>();
    while (!stopped && Instant.now().isBefore(until) && ops.get() < maxOperations) {
      int dice = random.nextInt(100);
      if (dice < 35 || mine.isEmpty() && dice < 70) {
        Operation op = hold(List.of(anyItem(random, 1 + random.nextInt(2))), ttl(random));
        if (op.outcome() == Outcome.OK) mine.add(op.reservationId());
      } else if (dice < 50) {
        Line first = anyItem(random, 1);
        Line second = anyItem(random, 1);
        if (first.item().equals(second.item())) continue;
        Operation op = hold(List.of(first, second), ttl(random));
        if (op.outcome() == Outcome.OK) mine.add(op.reservationId());
      } else if (dice < 70 && !mine.isEmpty()) {
        act("commit", mine.remove(random.nextInt(mine.size())), null);
      } else if (dice < 82 && !mine.isEmpty()) {
        act("release", mine.remove(random.nextInt(mine.size())), null);
      } else if (dice < 88 && !mine.isEmpty()) {
        act("extend", mine.get(random.nextInt(mine.size())), "{\"ttlSeconds\":60}");
      } else if (dice < 94) {
        Line item = anyItem(random, 1);
        adjust(item.location(), item.sku(), 1 + random.nextInt(3));
      } else if (dice < 97) {
        offlineSale(anyItem(random, 1));
      } else {
        Line item = anyItem(random, 1);
        read(item);
      }
    }
  }

  private Line anyItem(SplittableRandom random, long quantity) {
    List<String> locations = catalogue.locations();
    return new Line(
        locations.get(random.nextInt(locations.size())),
        Catalogue.sku(random.nextInt(catalogue.skus())),
        quantity);
  }

  /** Short enough that some holds lapse during the run: expiry is a path faults must not break. */
  private static long ttl(SplittableRandom random) {
    return 20 + random.nextInt(70);
  }

  /**
   * Holds one unit of {@code item} at a time from {@code connections} threads until {@code count}
   * are held or {@code until} has come, every hold ending at {@code deadline}; how many were held.
   */
  long holdMany(Line item, long count, Instant deadline, Instant until, int connections)
      throws InterruptedException {
    LongAdder held = new LongAdder();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      threads.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    while (!stopped && held.sum() < count && Instant.now().isBefore(until)) {
                      long ttl =
                          Math.max(1, Duration.between(Instant.now(), deadline).toSeconds() + 1);
                      if (hold(List.of(item), ttl).outcome() == Outcome.OK) held.increment();
                    }
                  }));
    }
    for (Thread t : threads) t.join();
    return held.sum();
  }

  private Operation hold(List<Line> lines, long ttlSeconds) {
    StringBuilder body = new StringBuilder("{\"channel\":\"web\",\"ttlSeconds\":");
    body.append(ttlSeconds).append(",\"lines\":[");
    for (int i = 0; i < lines.size(); i++) {
      Line l = lines.get(i);
      if (i > 0) body.append(',');
      body.append("{\"location\":\"")
          .append(l.location())
          .append("\",\"sku\":\"")
          .append(l.sku())
          .append("\",\"quantity\":")
          .append(l.quantity())
          .append('}');
    }
    body.append("]}");
    return call(
        lines.size() == 1 ? "hold" : "cart",
        "/v1/reservations",
        body.toString(),
        true,
        null,
        lines,
        null);
  }

  private Operation adjust(String location, String sku, long delta) {
    return call(
        "adjust",
        "/v1/stock/" + location + "/" + sku + "/adjustments",
        "{\"delta\":" + delta + ",\"reason\":\"receipt\"}",
        true,
        null,
        List.of(new Line(location, sku, delta)),
        delta);
  }

  private void act(String action, String reservationId, String body) {
    call(
        action,
        "/v1/reservations/" + reservationId + "/" + action,
        body == null ? "" : body,
        false,
        reservationId,
        null,
        null);
  }

  private void read(Line item) {
    call("read", "/v1/stock/" + item.location() + "/" + item.sku(), null, false, null, null, null);
  }

  /**
   * One operation with its retries; a POST unless {@code body} is null. The history gets one line
   * for it, with the outcome of the last attempt.
   */
  private Operation call(
      String kind,
      String path,
      String body,
      boolean withKey,
      String reservationId,
      List<Line> lines,
      Long quantity) {
    long number = ops.incrementAndGet();
    // Unique to the run, so that a key is never another operation's.
    String key = withKey ? runId + "-" + number : null;
    Instant callAt = Instant.now();
    int node = (int) Math.floorMod(callAt.toEpochMilli() + path.hashCode(), httpPorts.size());
    int status = 0;
    String detail = null;
    String resultId = reservationId;
    Outcome outcome = Outcome.UNKNOWN;
    int attempt = 0;
    while (attempt < ATTEMPTS) {
      attempt++;
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPorts.get(node) + path))
              .timeout(CALL_TIMEOUT)
              .header("Authorization", "Bearer " + apiKey);
      if (key != null) request.header("Idempotency-Key", key);
      if (body == null) request.GET();
      else
        request
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
      try {
        HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        status = r.statusCode();
        String slug = slug(r.body());
        detail = slug;
        if (status / 100 == 2) {
          outcome = Outcome.OK;
          if (resultId == null && (kind.equals("hold") || kind.equals("cart"))) {
            resultId = History.JSON.readTree(r.body()).path("reservationId").asText(null);
          }
          break;
        }
        if (status >= 400 && status < 500 && status != 401 && !NOT_DECIDED.contains(slug)) {
          outcome = Outcome.REFUSED;
          break;
        }
      } catch (IOException e) {
        status = 0;
        detail = e.getClass().getSimpleName();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      // No deciding answer: the next node, after a pause that grows with each attempt.
      node = (node + 1) % httpPorts.size();
      if (!backOff(attempt)) break;
    }
    if (outcome == Outcome.UNKNOWN) unknown.increment();
    Operation op =
        new Operation(
            number,
            kind,
            node + 1,
            key,
            key == null ? null : keyId,
            resultId,
            lines,
            quantity,
            callAt,
            Instant.now(),
            outcome,
            status,
            attempt,
            detail);
    history.record(op);
    return op;
  }

  /** The problem's slug ({@code .../problems/insufficient-stock} → insufficient-stock), if any. */
  private static String slug(String body) {
    if (body == null || !body.startsWith("{")) return null;
    try {
      JsonNode type = History.JSON.readTree(body).path("type");
      if (!type.isTextual()) return null;
      String t = type.asText();
      return t.substring(t.lastIndexOf('/') + 1);
    } catch (IOException e) {
      return null;
    }
  }
}
