package io.stockhold.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.stockhold.cli.JournalAudit;
import io.stockhold.testing.Client;
import io.stockhold.testing.Client.Response;
import io.stockhold.testing.NodeProcess;
import io.stockhold.testing.RunningNode;
import io.stockhold.testing.TestStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Transfers between two locations over REST on PostgreSQL: each step applies once per transfer id,
 * and a node killed with SIGKILL mid-transfer loses and doubles no unit: after the restart every
 * transfer it acknowledged is in transit, every other one shipped or not at all, and the units on
 * both shelves plus those on their way are what there was.
 */
class TransferIT {

  private static String ship(String id, String from, String to, String sku, long quantity) {
    return "{\"transferId\":\""
        + id
        + "\",\"from\":\""
        + from
        + "\",\"to\":\""
        + to
        + "\",\"sku\":\""
        + sku
        + "\",\"quantity\":"
        + quantity
        + "}";
  }

  private static long field(Client client, String location, String sku, String name) {
    Response r = client.level(location, sku);
    return r.status() == 404 ? 0 : r.json().get(name).asLong();
  }

  @Test
  void aTransferShipsOnceIsInTransitAndIsReceivedOnceWithItsShortfall() throws Exception {
    try (RunningNode running = RunningNode.start(TestStore.Kind.POSTGRES)) {
      Client client = running.client();
      client.stock("warehouse", "tent", 30);
      // the store has a customer waiting for a tent
      client.put(
          "/v1/stock/store-9/tent/policy",
          "{\"safetyStock\":0,\"reorderPoint\":0,\"reorderQuantity\":0,\"backorderLimit\":5}");
      Response waiting =
          client.post(
              "/v1/reservations",
              "{\"channel\":\"web\",\"lines\":[{\"location\":\"store-9\",\"sku\":\"tent\","
                  + "\"quantity\":2,\"allowBackorder\":true}]}");
      assertEquals("backordered", waiting.json().get("status").asText(), waiting::toString);

      String body = ship("T-100", "warehouse", "store-9", "tent", 10);
      Response shipped = client.post("/v1/transfers", body);
      assertEquals(201, shipped.status(), shipped::toString);
      assertEquals("/v1/transfers/T-100", shipped.header("Location"));
      assertEquals("in-transit", shipped.json().get("status").asText());
      assertNull(shipped.json().get("receivedQuantity"));
      assertEquals(20, field(client, "warehouse", "tent", "onHand"));

      Response again = client.post("/v1/transfers", body);
      assertEquals(200, again.status(), "the same transfer again: applied once");
      assertEquals(20, field(client, "warehouse", "tent", "onHand"));
      Response other =
          client.post("/v1/transfers", ship("T-100", "warehouse", "store-9", "tent", 11));
      assertEquals(422, other.status());
      assertEquals("idempotency-key-reused", other.problem());

      // announced at the store: shortly after the ship's answer
      awaitEquals(10, () -> field(client, "store-9", "tent", "incoming"), "store-9 incoming");
      assertEquals("in-transit", client.get("/v1/transfers/T-100").json().get("status").asText());

      Response tooMany = client.post("/v1/transfers/T-100/receive", "{\"quantity\":11}");
      assertEquals(400, tooMany.status());
      assertTrue(tooMany.json().get("errors").toString().contains("/quantity"));
      Response received = client.post("/v1/transfers/T-100/receive", "{\"quantity\":7}");
      assertEquals(200, received.status(), received::toString);
      assertEquals("received", received.json().get("status").asText());
      assertEquals(7, received.json().get("receivedQuantity").asLong());
      JsonNode store = client.level("store-9", "tent").json();
      assertEquals(7, store.get("onHand").asLong());
      assertEquals(0, store.get("incoming").asLong());
      assertEquals(2, store.get("reserved").asLong(), "the waiting customer got theirs first");
      assertEquals(
          "held",
          client
              .get("/v1/reservations/" + waiting.json().get("reservationId").asText())
              .json()
              .get("status")
              .asText());
      JsonNode items = client.get("/v1/stock/store-9/tent/history?limit=1000").json().get("items");
      JsonNode arrival = null;
      for (JsonNode e : items) if (e.get("type").asText().equals("transfer-received")) arrival = e;
      assertEquals(3, arrival.get("shortfall").asLong());
      assertEquals("warehouse", arrival.get("from").asText());

      assertEquals(200, client.post("/v1/transfers/T-100/receive", "{\"quantity\":7}").status());
      Response changed = client.post("/v1/transfers/T-100/receive", "{\"quantity\":8}");
      assertEquals(409, changed.status());
      assertEquals("transfer-received", changed.problem());
      assertEquals(7, field(client, "store-9", "tent", "onHand"));
    }
  }

  @Test
  void badTransfersAreRefusedAndChangeNothing() throws Exception {
    try (RunningNode running = RunningNode.start(TestStore.Kind.POSTGRES)) {
      Client client = running.client();
      client.stock("warehouse", "stove", 3);
      Response same =
          client.post("/v1/transfers", ship("T-1", "warehouse", "warehouse", "stove", 1));
      assertEquals(400, same.status());
      assertTrue(same.json().get("errors").toString().contains("/to"));
      Response bad =
          client.post(
              "/v1/transfers", "{\"transferId\":\" \",\"from\":\"a\",\"to\":\"b\",\"quantity\":0}");
      assertEquals(400, bad.status());
      String errors = bad.json().get("errors").toString();
      for (String f : List.of("/transferId", "/sku", "/quantity")) assertTrue(errors.contains(f));
      Response tooMany =
          client.post("/v1/transfers", ship("T-2", "warehouse", "store-1", "stove", 4));
      assertEquals(409, tooMany.status());
      assertEquals("insufficient-stock", tooMany.problem());
      assertEquals(404, client.get("/v1/transfers/T-2").status(), "a refused transfer is none");
      Response nowhere =
          client.post("/v1/transfers", ship("T-3", "nowhere", "store-1", "stove", 1));
      assertEquals(404, nowhere.status());
      assertEquals("stock-item-not-found", nowhere.problem());
      assertEquals(404, client.get("/v1/transfers/T-404").status());
      assertEquals(404, client.post("/v1/transfers/T-404/receive", "{\"quantity\":1}").status());
      Response receiptOfATransfer =
          client.post(
              "/v1/stock/store-1/stove/adjustments",
              "{\"delta\":1,\"reason\":\"receipt\",\"incomingId\":\"transfer:T-2\"}");
      assertEquals(404, receiptOfATransfer.status());
      assertEquals(3, field(client, "warehouse", "stove", "onHand"));
      // refused for too few units, the same id may ship once there are enough
      client.stock("warehouse", "stove", 5);
      assertEquals(
          201,
          client.post("/v1/transfers", ship("T-2", "warehouse", "store-1", "stove", 4)).status());
    }
  }

  @Test
  void aKillMidTransferLosesAndDoublesNoUnit() throws Exception {
    long units = 10_000;
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES)) {
      NodeProcess first = NodeProcess.start(store, "transfer-crash-1");
      Client client = new Client(first.httpPort());
      assertEquals(200, client.stock("dc", "crate", units).status());
      Map<String, Boolean> acknowledged = new ConcurrentHashMap<>();
      Map<String, Boolean> sent = new ConcurrentHashMap<>();
      AtomicBoolean running = new AtomicBoolean(true);
      ExecutorService senders = Executors.newFixedThreadPool(8);
      for (int t = 0; t < 8; t++) {
        int thread = t;
        senders.submit(
            () -> {
              for (int i = 0; running.get(); i++) {
                String id = "T-" + thread + "-" + i;
                String to = "shop-" + (i % 3);
                sent.put(id, true);
                try {
                  Response r = client.post("/v1/transfers", ship(id, "dc", to, "crate", 1 + i % 2));
                  if (r.status() == 201) acknowledged.put(id, true);
                } catch (RuntimeException cut) {
                  return null;
                }
              }
              return null;
            });
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (acknowledged.size() < 40 && System.nanoTime() < deadline) Thread.sleep(20);
      assertTrue(acknowledged.size() >= 40, "only " + acknowledged.size() + " shipped in 60 s");
      first.kill();
      running.set(false);
      senders.shutdown();
      assertTrue(senders.awaitTermination(60, TimeUnit.SECONDS));

      try (NodeProcess second = NodeProcess.start(store, "transfer-crash-2")) {
        Client after = new Client(second.httpPort());
        int inTransit = 0;
        for (String id : sent.keySet()) {
          Response r = after.get("/v1/transfers/" + id);
          if (acknowledged.containsKey(id)) {
            assertEquals(200, r.status(), "acknowledged transfer " + id + " is lost");
          } else {
            assertTrue(r.status() == 200 || r.status() == 404, id + " -> " + r);
          }
          if (r.status() == 200) {
            assertEquals("in-transit", r.json().get("status").asText());
            inTransit++;
          }
        }
        // Every transfer that shipped is announced at its shop (the restarted sagas finish that
        // step): the units on the shelves plus those on their way are all there were.
        awaitEquals(
            units,
            () -> {
              long total = field(after, "dc", "crate", "onHand");
              for (int s = 0; s < 3; s++) total += field(after, "shop-" + s, "crate", "incoming");
              return total;
            },
            "onHand at dc + incoming at the shops");
        // Receive each in full: everything ends on a shelf, once.
        for (String id : sent.keySet()) {
          Response r = after.get("/v1/transfers/" + id);
          if (r.status() != 200) continue;
          long quantity = r.json().get("quantity").asLong();
          Response received =
              after.post("/v1/transfers/" + id + "/receive", "{\"quantity\":" + quantity + "}");
          assertEquals(200, received.status(), id + " -> " + received);
        }
        long onShelves = field(after, "dc", "crate", "onHand");
        long incoming = 0;
        for (int s = 0; s < 3; s++) {
          onShelves += field(after, "shop-" + s, "crate", "onHand");
          incoming += field(after, "shop-" + s, "crate", "incoming");
        }
        assertEquals(units, onShelves);
        assertEquals(0, incoming);
        System.out.printf(
            "transfer crash: %d sent, %d acknowledged, %d in transit after the restart%n",
            sent.size(), acknowledged.size(), inTransit);
      }
      JournalAudit.Report report =
          JournalAudit.run(store.config().withFallback(ConfigFactory.load()));
      assertTrue(report.clean(), report.violations().toString());
    }
  }

  private interface Reading {
    long read() throws Exception;
  }

  private static void awaitEquals(long expected, Reading reading, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    long last = reading.read();
    while (last != expected && System.nanoTime() < deadline) {
      Thread.sleep(100);
      last = reading.read();
    }
    assertEquals(expected, last, what);
  }
}
