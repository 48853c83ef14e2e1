package io.stockhold.testing;

import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Steady single-line reservations from many buyers, spread over every node the way a load balancer
 * would, retrying as the README tells clients to: a 503 is retried after a pause, a request whose
 * answer never came is retried with the same Idempotency-Key, a node that refuses connections is
 * skipped for a moment. Each buyer sends one request at a time until it is decided.
 */
public final class ClusterLoad implements AutoCloseable {

  /** A reservation a client was told about. */
  public record Ack(String key, String sku, String reservationId) {}

  private static final long GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final Supplier<List<Integer>> ports;
  private final String location;
  private final List<String> skus;
  private final String keyPrefix;
  private final long started = System.nanoTime();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final ExecutorService buyers;
  private final Map<Integer, Client> clients = new ConcurrentHashMap<>();
  private final Map<Integer, Long> skipUntil = new ConcurrentHashMap<>();
  private final AtomicInteger next = new AtomicInteger();

  /** Everything acknowledged, by idempotency key. */
  public final Map<String, Ack> acknowledged = new ConcurrentHashMap<>();

  /** Per SKU, when (ms since start) each decision (held or sold out) arrived. */
  public final Map<String, Queue<Long>> decidedAt = new ConcurrentHashMap<>();

  public final LongAdder soldOut = new LongAdder();

  /** 503s by problem type; "text/plain" is pekko-http's own answer while a node drains. */
  public final Map<String, LongAdder> unavailable = new ConcurrentHashMap<>();

  /** Requests sent whose answer never came (connection closed or reset): retried with their key. */
  public final LongAdder noAnswer = new LongAdder();

  /** What the client saw for the first few of them. */
  public final Queue<String> noAnswerCauses = new ConcurrentLinkedQueue<>();

  /** Connection attempts refused (the node is down): nothing was sent, another node is tried. */
  public final LongAdder refused = new LongAdder();

  /** Anything a client must not see: a 500, a 4xx other than sold out, a request never decided. */
  public final Queue<String> errors = new ConcurrentLinkedQueue<>();

  private final AtomicLongArray lastDecided;

  public ClusterLoad(
      Supplier<List<Integer>> ports,
      String location,
      List<String> skus,
      int buyerCount,
      String keyPrefix) {
    this.ports = ports;
    this.location = location;
    this.skus = skus;
    this.keyPrefix = keyPrefix;
    this.lastDecided = new AtomicLongArray(skus.size());
    for (String sku : skus) decidedAt.put(sku, new ConcurrentLinkedQueue<>());
    this.buyers = Executors.newFixedThreadPool(buyerCount);
    for (int b = 0; b < buyerCount; b++) {
      int buyer = b;
      // Each buyer keeps to one SKU: a buyer stuck on an item that is failing over does not take
      // traffic away from the others, so each item's decisions show its own availability.
      int index = b % skus.size();
      buyers.submit(
          () -> {
            for (int i = 0; running.get(); i++) buy(index, keyPrefix + "-" + buyer + "-" + i);
            return null;
          });
    }
  }

  private void buy(int index, String key) {
    String sku = skus.get(index);
    long giveUp = System.nanoTime() + GIVE_UP_NANOS;
    long pause = 50;
    while (System.nanoTime() < giveUp) {
      int port = pickPort();
      Client.Response r;
      try {
        r = clients.computeIfAbsent(port, Client::new).reserve("web", location, sku, 1, 3600L, key);
      } catch (UncheckedIOException e) {
        if (e.getCause() instanceof ConnectException) refused.increment();
        else {
          noAnswer.increment();
          if (noAnswerCauses.size() < 5) noAnswerCauses.add(port + ": " + e.getCause());
        }
        skipUntil.put(port, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500));
        continue;
      }
      if (r.status() == 201) {
        acknowledged.put(key, new Ack(key, sku, r.json().get("reservationId").asText()));
        decided(index, sku);
        return;
      }
      if (r.status() == 409 && isProblem(r) && r.problem().equals("insufficient-stock")) {
        soldOut.increment();
        decided(index, sku);
        return;
      }
      if (r.status() == 503) {
        unavailable
            .computeIfAbsent(isProblem(r) ? r.problem() : "text/plain", k -> new LongAdder())
            .increment();
        sleep(pause);
        pause = Math.min(pause * 2, 500);
        continue;
      }
      errors.add(key + " -> " + r);
      return;
    }
    errors.add(
        key
            + " undecided after "
            + TimeUnit.NANOSECONDS.toSeconds(GIVE_UP_NANOS)
            + " s of retries");
  }

  private static boolean isProblem(Client.Response r) {
    return r.contentType() != null && r.contentType().startsWith("application/problem+json");
  }

  private void decided(int index, String sku) {
    long at = millis();
    decidedAt.get(sku).add(at);
    lastDecided.accumulateAndGet(index, at, Math::max);
  }

  /** Round robin over the ports that did not refuse a connection in the last half second. */
  private int pickPort() {
    List<Integer> all = ports.get();
    long now = System.nanoTime();
    for (int tries = 0; tries < all.size(); tries++) {
      int port = all.get(Math.floorMod(next.getAndIncrement(), all.size()));
      Long skip = skipUntil.get(port);
      if (skip == null || skip < now) return port;
    }
    sleep(100);
    return all.get(Math.floorMod(next.getAndIncrement(), all.size()));
  }

  /** Milliseconds since the load started. */
  public long millis() {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
  }

  public long decisions() {
    return acknowledged.size() + soldOut.sum();
  }

  public long unavailableTotal() {
    return unavailable.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /** Waits until {@code count} more decisions were made, at most {@code seconds}. */
  public void awaitDecisions(long count, int seconds) throws InterruptedException {
    long target = decisions() + count;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (decisions() < target && System.nanoTime() < deadline) Thread.sleep(50);
    if (decisions() < target) {
      throw new AssertionError(
          "only " + decisions() + " of " + target + " decisions after " + seconds + " s; " + this);
    }
  }

  /** Waits until every SKU had a decision after {@code sinceMillis}, at most {@code seconds}. */
  public boolean awaitEverySkuDecidedAfter(long sinceMillis, int seconds)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      boolean all = true;
      for (int i = 0; i < skus.size(); i++) all &= lastDecided.get(i) > sinceMillis;
      if (all) return true;
      Thread.sleep(20);
    }
    return false;
  }

  /** Stops sending; buyers finish (decide) the request they are on. */
  @Override
  public void close() throws InterruptedException {
    running.set(false);
    buyers.shutdown();
    if (!buyers.awaitTermination(90, TimeUnit.SECONDS))
      throw new AssertionError("buyers still busy after 90 s");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return String.format(
        "%d held, %d sold out, 503s %s, %d unanswered (retried), %d refused connections, %d errors",
        acknowledged.size(),
        soldOut.sum(),
        unavailable,
        noAnswer.sum(),
        refused.sum(),
        errors.size());
  }
}
