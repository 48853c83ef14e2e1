package io.stockhold.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.stockhold.cli.JournalAudit;
import io.stockhold.stock.StockAudit;
import io.stockhold.testing.Client;
import io.stockhold.testing.Client.Response;
import io.stockhold.testing.NodeProcess;
import io.stockhold.testing.TestStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Kill the engine with SIGKILL in the middle of a burst, start it again on the same store: every
 * operation that was acknowledged is there, retries answer their first outcome, the books balance.
 */
class CrashRecoveryIT {

  private static final List<String> SKUS = List.of("sku-a", "sku-b", "sku-c");
  private static final long UNITS = 100_000;

  /** What the client learned of one request. */
  record Ack(String key, String sku, int quantity, String reservationId, boolean committed) {}

  /** The kill comes mid-burst, once enough was acknowledged to make the check mean something. */
  private static void awaitAtLeast(Map<String, ?> acknowledged, int count)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (acknowledged.size() < count) {
      assertTrue(
          System.nanoTime() < deadline,
          "the burst acknowledged only " + acknowledged.size() + " in 60 s");
      Thread.sleep(50);
    }
  }

  @ParameterizedTest
  @EnumSource(TestStore.Kind.class)
  void everyAcknowledgedOperationSurvivesAKill(TestStore.Kind kind) throws Exception {
    try (TestStore store = TestStore.create(kind)) {
      Map<String, Ack> acknowledged = new ConcurrentHashMap<>();
      Map<String, String> unknown = new ConcurrentHashMap<>(); // key -> sku, outcome never learned
      AtomicInteger sent = new AtomicInteger();

      NodeProcess first = NodeProcess.start(store, "crash-" + kind + "-1");
      Client client = new Client(first.httpPort());
      for (String sku : SKUS) assertEquals(200, client.stock("crash", sku, UNITS).status());

      AtomicBoolean running = new AtomicBoolean(true);
      ExecutorService buyers = Executors.newFixedThreadPool(16);
      for (int t = 0; t < 16; t++) {
        int thread = t;
        buyers.submit(
            () -> {
              for (int i = 0; running.get(); i++) {
                String key = "crash-" + thread + "-" + i;
                String sku = SKUS.get(i % SKUS.size());
                int quantity = 1 + i % 3;
                sent.incrementAndGet();
                Response held;
                try {
                  held = client.reserve("web", "crash", sku, quantity, 3600L, key);
                } catch (RuntimeException cut) {
                  unknown.put(key, sku);
                  return null;
                }
                if (held.status() != 201) {
                  unknown.put(key, sku);
                  continue;
                }
                String id = held.json().get("reservationId").asText();
                acknowledged.put(key, new Ack(key, sku, quantity, id, false));
                if (i % 2 == 0) {
                  try {
                    Response committed = client.post("/v1/reservations/" + id + "/commit", null);
                    if (committed.status() == 200)
                      acknowledged.put(key, new Ack(key, sku, quantity, id, true));
                  } catch (RuntimeException cut) {
                    return null;
                  }
                }
              }
              return null;
            });
      }
      awaitAtLeast(acknowledged, 60);
      first.kill();
      running.set(false);
      buyers.shutdown();
      assertTrue(buyers.awaitTermination(60, TimeUnit.SECONDS));

      long committedUnits = 0;
      long onHand = 0;
      // The embedded store is one process's file: the audit reads it after the node stops.
      try (NodeProcess second = NodeProcess.start(store, "crash-" + kind + "-2")) {
        Client after = new Client(second.httpPort());
        for (Ack ack : acknowledged.values()) {
          Response r = after.get("/v1/reservations/" + ack.reservationId());
          assertEquals(200, r.status(), "acknowledged reservation " + ack.key() + " is lost");
          String status = r.json().get("status").asText();
          if (ack.committed()) assertEquals("committed", status, ack.key());
          else
            assertTrue(
                status.equals("held") || status.equals("committed"), ack.key() + " is " + status);
          // The retry answers the first outcome.
          Response retry =
              after.reserve("web", "crash", ack.sku(), ack.quantity(), 3600L, ack.key());
          assertEquals(201, retry.status());
          assertEquals(ack.reservationId(), retry.json().get("reservationId").asText());
          if (status.equals("committed")) committedUnits += ack.quantity();
        }
        // Requests whose outcome was never learned: retried with their key, they are decided once.
        List<String> held = new ArrayList<>();
        for (Ack ack : acknowledged.values()) held.add(ack.reservationId());
        for (Map.Entry<String, String> u : unknown.entrySet()) {
          int i = Integer.parseInt(u.getKey().substring(u.getKey().lastIndexOf('-') + 1));
          Response retry =
              after.reserve("web", "crash", u.getValue(), 1 + i % 3, 3600L, u.getKey());
          assertEquals(201, retry.status(), u.getKey() + " -> " + retry);
          if (retry.json().get("status").asText().equals("held"))
            held.add(retry.json().get("reservationId").asText());
        }
        for (String id : held) {
          Response release = after.post("/v1/reservations/" + id + "/release", null);
          assertTrue(
              release.status() == 200 || release.problem().equals("reservation-committed"),
              release.toString());
        }
        for (String sku : SKUS) {
          JsonNode level = after.level("crash", sku).json();
          assertEquals(0, level.get("reserved").asLong(), sku + " still has holds");
          onHand += level.get("onHand").asLong();
        }
      }
      JournalAudit.Report report =
          JournalAudit.run(store.config().withFallback(ConfigFactory.load()));
      assertTrue(report.clean(), report.violations().toString());
      assertEquals(SKUS.size() * UNITS - report.unitsCommitted(), onHand);
      assertTrue(report.unitsCommitted() >= committedUnits);
      long placed = report.items().stream().mapToLong(StockAudit::holdsPlaced).sum();
      assertTrue(
          placed <= acknowledged.size() + unknown.size(),
          placed
              + " holds for "
              + acknowledged.size()
              + " acknowledged and "
              + unknown.size()
              + " unknown requests");
      System.out.printf(
          "crash on %s: %d requests sent, %d acknowledged, %d unknown at the kill, all acknowledged"
              + " present%n",
          kind, sent.get(), acknowledged.size(), unknown.size());
    }
  }

  @Test
  void aKillDuringABurstOfCartsLeavesNoHoldBehind() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES)) {
      List<String> items = List.of("w", "x", "y", "z");
      Map<String, String> bodies = new ConcurrentHashMap<>(); // key -> body, every cart sent
      Map<String, String> acknowledged = new ConcurrentHashMap<>(); // key -> reservation id
      NodeProcess first = NodeProcess.start(store, "crash-carts-1");
      Client client = new Client(first.httpPort());
      for (String sku : items) assertEquals(200, client.stock("carts", sku, UNITS).status());
      AtomicBoolean running = new AtomicBoolean(true);
      ExecutorService buyers = Executors.newFixedThreadPool(12);
      for (int t = 0; t < 12; t++) {
        int thread = t;
        buyers.submit(
            () -> {
              for (int i = 0; running.get(); i++) {
                String key = "cart-" + thread + "-" + i;
                String body =
                    "{\"channel\":\"web\",\"ttlSeconds\":3600,\"lines\":["
                        + "{\"location\":\"carts\",\"sku\":\""
                        + items.get(i % 4)
                        + "\",\"quantity\":1},"
                        + "{\"location\":\"carts\",\"sku\":\""
                        + items.get((i + 1) % 4)
                        + "\",\"quantity\":2},"
                        + "{\"location\":\"carts\",\"sku\":\""
                        + items.get((i + 2) % 4)
                        + "\",\"quantity\":3}]}";
                bodies.put(key, body);
                try {
                  Response r =
                      client.post("/v1/reservations", body, Map.of("Idempotency-Key", key));
                  if (r.status() == 201)
                    acknowledged.put(key, r.json().get("reservationId").asText());
                } catch (RuntimeException cut) {
                  return null;
                }
              }
              return null;
            });
      }
      awaitAtLeast(acknowledged, 25);
      first.kill();
      running.set(false);
      buyers.shutdown();
      assertTrue(buyers.awaitTermination(60, TimeUnit.SECONDS));

      try (NodeProcess second = NodeProcess.start(store, "crash-carts-2")) {
        Client after = new Client(second.httpPort());
        for (Map.Entry<String, String> sent : bodies.entrySet()) {
          Response replay =
              after.post(
                  "/v1/reservations", sent.getValue(), Map.of("Idempotency-Key", sent.getKey()));
          assertEquals(201, replay.status(), sent.getKey() + " -> " + replay);
          String id = replay.json().get("reservationId").asText();
          if (acknowledged.containsKey(sent.getKey()))
            assertEquals(acknowledged.get(sent.getKey()), id);
          Response release = after.post("/v1/reservations/" + id + "/release", null);
          assertEquals(200, release.status(), release.toString());
        }
        for (String sku : items) {
          JsonNode level = after.level("carts", sku).json();
          assertEquals(0, level.get("reserved").asLong(), sku + " still has holds");
          assertEquals(UNITS, level.get("onHand").asLong());
        }
        System.out.printf(
            "carts crash: %d carts sent, %d acknowledged before the kill; all replayed and"
                + " released%n",
            bodies.size(), acknowledged.size());
      }
      JournalAudit.Report report =
          JournalAudit.run(store.config().withFallback(ConfigFactory.load()));
      assertTrue(report.clean(), report.violations().toString());
    }
  }
}
