package io.stockhold.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.stockhold.cli.JournalAudit;
import io.stockhold.testing.Client;
import io.stockhold.testing.Client.Response;
import io.stockhold.testing.RunningNode;
import io.stockhold.testing.TestStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Incoming units, preorders and backorders over REST, against a node on PostgreSQL: who waits, in
 * what order, what a receipt fills, and what the journal says afterwards.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SupplyIT {

  private RunningNode running;
  private Client client;

  @BeforeAll
  void start() throws Exception {
    running = RunningNode.start(TestStore.Kind.POSTGRES);
    client = running.client();
  }

  @AfterAll
  void stop() {
    if (running != null) running.close();
  }

  private StockAudit audit(String location, String sku) throws Exception {
    StockAudit audit =
        JournalAudit.run(running.store().config().withFallback(ConfigFactory.load()))
            .items()
            .stream()
            .filter(a -> a.persistenceId().equals("StockItem|" + location + "/" + sku))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no journal for " + location + "/" + sku));
    assertEquals(List.of(), audit.violations());
    return audit;
  }

  private void policy(String location, String sku, String rules) {
    Response r =
        client.put(
            "/v1/stock/" + location + "/" + sku + "/policy",
            "{\"safetyStock\":0,\"reorderPoint\":0,\"reorderQuantity\":0," + rules + "}");
    assertEquals(200, r.status(), r::toString);
  }

  private Response incoming(String location, String sku, String id, long quantity) {
    return client.post(
        "/v1/stock/" + location + "/" + sku + "/incoming",
        "{\"incomingId\":\""
            + id
            + "\",\"quantity\":"
            + quantity
            + ",\"expectedAt\":\"2026-12-24T08:00:00Z\",\"reference\":\"PO "
            + id
            + "\"}");
  }

  private Response receipt(String location, String sku, String incomingId, long units) {
    return client.post(
        "/v1/stock/" + location + "/" + sku + "/adjustments",
        "{\"delta\":"
            + units
            + ",\"reason\":\"receipt\""
            + (incomingId == null ? "" : ",\"incomingId\":\"" + incomingId + "\"")
            + "}");
  }

  private static String waitingLine(String location, String sku, long quantity) {
    return "{\"channel\":\"web\",\"lines\":[{\"location\":\""
        + location
        + "\",\"sku\":\""
        + sku
        + "\",\"quantity\":"
        + quantity
        + ",\"allowBackorder\":true}],\"ttlSeconds\":900}";
  }

  private String status(String reservationId) {
    return client.get("/v1/reservations/" + reservationId).json().get("status").asText();
  }

  @Test
  void preordersAreTakenUpToWhatIsComingAndFilledInArrivalOrder() throws Exception {
    policy("shop-1", "novel", "\"preorder\":true");
    Response recorded = incoming("shop-1", "novel", "PO-1", 10);
    assertEquals(200, recorded.status(), recorded::toString);
    assertEquals(10, recorded.json().get("incoming").asLong());
    JsonNode entry = recorded.json().get("incomingEntries").get(0);
    assertEquals("PO-1", entry.get("incomingId").asText());
    assertEquals("2026-12-24T08:00:00.000Z", entry.get("expectedAt").asText());

    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      Response r = client.post("/v1/reservations", waitingLine("shop-1", "novel", 1));
      if (i < 10) {
        assertEquals(201, r.status(), r::toString);
        assertEquals("backordered", r.json().get("status").asText());
        assertNull(r.json().get("expiresAt"), "no deadline while it waits");
        assertTrue(r.json().get("lines").get(0).get("allowBackorder").asBoolean());
        ids.add(r.json().get("reservationId").asText());
      } else {
        assertEquals(409, r.status(), r::toString);
        assertEquals("insufficient-stock", r.problem());
      }
    }
    JsonNode level = client.level("shop-1", "novel").json();
    assertEquals(10, level.get("backordered").asLong());
    assertEquals(0, level.get("available").asLong());

    // the goods come in: 6 of the 10 ordered
    Response received = receipt("shop-1", "novel", "PO-1", 6);
    assertEquals(200, received.status(), received::toString);
    assertEquals(4, received.json().get("incoming").asLong());
    assertEquals(4, received.json().get("backordered").asLong());
    for (int i = 0; i < 10; i++) {
      assertEquals(i < 6 ? "held" : "backordered", status(ids.get(i)), "reservation " + i);
    }
    JsonNode filled = client.get("/v1/reservations/" + ids.get(0)).json();
    assertTrue(filled.has("expiresAt"), "a filled reservation has its deadline");
    // it can be committed now; one still waiting cannot
    assertEquals(200, client.post("/v1/reservations/" + ids.get(0) + "/commit", null).status());
    Response early = client.post("/v1/reservations/" + ids.get(6) + "/commit", null);
    assertEquals(409, early.status());
    assertEquals("reservation-backordered", early.problem());
    assertEquals(
        "reservation-backordered",
        client.post("/v1/reservations/" + ids.get(6) + "/extend", "{\"ttlSeconds\":60}").problem());

    // more is ordered; a request now queues behind the 4 still waiting
    assertEquals(200, incoming("shop-1", "novel", "PO-2", 5).status());
    Response late = client.post("/v1/reservations", waitingLine("shop-1", "novel", 1));
    assertEquals("backordered", late.json().get("status").asText());
    receipt("shop-1", "novel", "PO-2", 4);
    for (int i = 6; i < 10; i++) assertEquals("held", status(ids.get(i)), "reservation " + i);
    assertEquals("backordered", status(late.json().get("reservationId").asText()));

    // one still waiting may always be released, and leaves the queue
    Response released =
        client.post(
            "/v1/reservations/" + late.json().get("reservationId").asText() + "/release", null);
    assertEquals(200, released.status());
    assertEquals("released", released.json().get("status").asText());
    assertEquals(0, client.level("shop-1", "novel").json().get("backordered").asLong());

    StockAudit audit = audit("shop-1", "novel");
    assertEquals(0, audit.backordered());
    assertEquals(5, audit.incoming(), "PO-1 still expects 4, PO-2 1");
    assertEquals(5, client.level("shop-1", "novel").json().get("incoming").asLong());
  }

  @Test
  void aCartWaitsForItsBackorderedLineKeepingTheOthersHeldAndThenHoldsThemAll() throws Exception {
    client.stock("shop-6", "frame", 5);
    policy("shop-6", "canvas", "\"backorderLimit\":10");
    String cart =
        "{\"channel\":\"web\",\"ttlSeconds\":900,\"lines\":["
            + "{\"location\":\"shop-6\",\"sku\":\"frame\",\"quantity\":2},"
            + "{\"location\":\"shop-6\",\"sku\":\"canvas\",\"quantity\":3,\"allowBackorder\":true}]}";
    Response waiting = client.post("/v1/reservations", cart);
    assertEquals(201, waiting.status(), waiting::toString);
    assertEquals("backordered", waiting.json().get("status").asText());
    assertNull(waiting.json().get("expiresAt"));
    String id = waiting.json().get("reservationId").asText();
    assertEquals(2, client.level("shop-6", "frame").json().get("reserved").asLong(), "held");
    assertEquals(3, client.level("shop-6", "canvas").json().get("backordered").asLong());
    assertEquals(
        "reservation-backordered",
        client.post("/v1/reservations/" + id + "/commit", null).problem());
    assertEquals(
        "reservation-backordered",
        client.post("/v1/reservations/" + id + "/extend", "{\"ttlSeconds\":60}").problem());

    // The canvases come in: the cart notices within its poll and is held from then on.
    receipt("shop-6", "canvas", null, 3);
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    while (!status(id).equals("held") && System.nanoTime() < deadline) Thread.sleep(200);
    JsonNode held = client.get("/v1/reservations/" + id).json();
    assertEquals("held", held.get("status").asText());
    assertTrue(held.has("expiresAt"));
    Response committed = client.post("/v1/reservations/" + id + "/commit", null);
    assertEquals(200, committed.status(), committed::toString);
    assertEquals(3, client.level("shop-6", "frame").json().get("onHand").asLong());
    assertEquals(0, client.level("shop-6", "canvas").json().get("onHand").asLong());

    // Released while it waits: every line is given back.
    Response again = client.post("/v1/reservations", cart);
    assertEquals("backordered", again.json().get("status").asText(), again::toString);
    String second = again.json().get("reservationId").asText();
    Response released = client.post("/v1/reservations/" + second + "/release", null);
    assertEquals(200, released.status(), released::toString);
    assertEquals("released", released.json().get("status").asText());
    assertEquals(0, client.level("shop-6", "frame").json().get("reserved").asLong());
    assertEquals(0, client.level("shop-6", "canvas").json().get("backordered").asLong());

    // A line that may not wait still refuses the cart, and nothing is held or waits.
    String refused =
        "{\"channel\":\"web\",\"lines\":["
            + "{\"location\":\"shop-6\",\"sku\":\"frame\",\"quantity\":9},"
            + "{\"location\":\"shop-6\",\"sku\":\"canvas\",\"quantity\":1,\"allowBackorder\":true}]}";
    assertEquals(409, client.post("/v1/reservations", refused).status());
    assertEquals(0, client.level("shop-6", "canvas").json().get("backordered").asLong());
    assertEquals(0, client.level("shop-6", "frame").json().get("reserved").asLong());
    assertEquals(List.of(), audit("shop-6", "frame").violations());
    assertEquals(List.of(), audit("shop-6", "canvas").violations());
  }

  @Test
  void theBackorderLimitHoldsUnderSixtyFourConnectionsAtOnce() throws Exception {
    policy("shop-2", "gadget", "\"backorderLimit\":20");
    client.stock("shop-2", "gadget", 10);
    int buyers = 64;
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Response>> outcomes = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < buyers; i++) {
        Client own = new Client(running.node().httpPort(), client.key());
        outcomes.add(
            pool.submit(
                () -> {
                  go.await();
                  return own.post("/v1/reservations", waitingLine("shop-2", "gadget", 1));
                }));
      }
      go.countDown();
      int held = 0;
      int waiting = 0;
      int refused = 0;
      for (Future<Response> f : outcomes) {
        Response r = f.get();
        if (r.status() == 201 && r.json().get("status").asText().equals("held")) held++;
        else if (r.status() == 201) waiting++;
        else if (r.status() == 409) refused++;
        else throw new AssertionError("unexpected " + r);
      }
      assertEquals(10, held, "the shelf");
      assertEquals(20, waiting, "the backorder limit");
      assertEquals(buyers - 30, refused);
    }
    StockAudit audit = audit("shop-2", "gadget");
    assertEquals(20, audit.backordered());
    assertEquals(30, audit.holdsPlaced());
  }

  @Test
  void receiptsRecordTheirDifferenceAndUnknownEntriesAreNotFound() {
    client.stock("shop-3", "lamp", 1);
    assertEquals(200, incoming("shop-3", "lamp", "PO-7", 5).status());
    Response over = receipt("shop-3", "lamp", "PO-7", 7);
    assertEquals(200, over.status());
    assertEquals(0, over.json().get("incoming").asLong());
    assertEquals(8, over.json().get("onHand").asLong());
    JsonNode event = lastEvent("shop-3", "lamp");
    assertEquals("stock-adjusted", event.get("type").asText());
    assertEquals("PO-7", event.get("incomingId").asText());
    assertEquals(5, event.get("incomingExpected").asLong());
    assertEquals(2, event.get("difference").asLong());

    Response unknown = receipt("shop-3", "lamp", "PO-404", 1);
    assertEquals(404, unknown.status());
    assertEquals("incoming-not-found", unknown.problem());
    assertEquals(404, receipt("shop-3", "lamp", "PO-7", 1).status(), "PO-7 is closed");
    assertEquals(8, client.level("shop-3", "lamp").json().get("onHand").asLong());
  }

  @Test
  void anItemWithOnlyIncomingUnitsIsKnownAndTheSameEntryTwiceIsOne() {
    assertEquals(200, incoming("shop-4", "kettle", "PO-1", 3).status());
    Response level = client.level("shop-4", "kettle");
    assertEquals(200, level.status());
    assertEquals(3, level.json().get("incoming").asLong());
    assertEquals(0, level.json().get("onHand").asLong());
    assertEquals(200, incoming("shop-4", "kettle", "PO-1", 3).status());
    assertEquals(3, client.level("shop-4", "kettle").json().get("incoming").asLong());
    Response reused = incoming("shop-4", "kettle", "PO-1", 4);
    assertEquals(422, reused.status());
    assertEquals("idempotency-key-reused", reused.problem());
  }

  @Test
  void badInputNamesTheFieldAndChangesNothing() {
    client.stock("shop-5", "chair", 2);
    Response r =
        client.post(
            "/v1/stock/shop-5/chair/incoming",
            "{\"incomingId\":\" x\",\"quantity\":0,\"expectedAt\":\"tomorrow\"}");
    assertEquals(400, r.status());
    String errors = r.json().get("errors").toString();
    for (String field : List.of("/incomingId", "/quantity", "/expectedAt"))
      assertTrue(errors.contains(field), errors);
    Response wrongReason =
        client.post(
            "/v1/stock/shop-5/chair/adjustments",
            "{\"delta\":-1,\"reason\":\"damage\",\"incomingId\":\"PO-1\"}");
    assertEquals(400, wrongReason.status());
    assertTrue(wrongReason.json().get("errors").toString().contains("/incomingId"));
    Response pooled =
        client.post(
            "/v1/reservations",
            "{\"channel\":\"web\",\"lines\":[{\"pool\":\"shop-5\",\"sku\":\"chair\","
                + "\"quantity\":1,\"allowBackorder\":true}]}");
    assertEquals(400, pooled.status());
    assertTrue(
        pooled.json().get("errors").toString().contains("/lines/0/allowBackorder"),
        pooled::toString);
    Response limit =
        client.put(
            "/v1/stock/shop-5/chair/policy",
            "{\"safetyStock\":0,\"reorderPoint\":0,\"reorderQuantity\":0,\"backorderLimit\":-1,"
                + "\"preorder\":\"yes\"}");
    assertEquals(400, limit.status());
    assertTrue(limit.json().get("errors").toString().contains("/backorderLimit"));
    assertTrue(limit.json().get("errors").toString().contains("/preorder"));
    JsonNode level = client.level("shop-5", "chair").json();
    assertEquals(2, level.get("onHand").asLong());
    assertEquals(0, level.get("incoming").asLong());
  }

  private JsonNode lastEvent(String location, String sku) {
    JsonNode items =
        client.get("/v1/stock/" + location + "/" + sku + "/history?limit=1000").json().get("items");
    return items.get(items.size() - 1);
  }
}
