package io.stockhold.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.stockhold.cli.JournalAudit;
import io.stockhold.node.StockholdNode;
import io.stockhold.stock.StockAudit;
import io.stockhold.testing.Client;
import io.stockhold.testing.Client.Response;
import io.stockhold.testing.RunningNode;
import io.stockhold.testing.TestKeys;
import io.stockhold.testing.TestStore;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The REST API against a real node and a real journal. Subclasses pick the store (embedded H2,
 * PostgreSQL); every test uses stock items of its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class HttpApiContract {

  private RunningNode running;
  private TestStore store;
  private StockholdNode node;
  Client client;

  abstract TestStore.Kind storeKind();

  @BeforeAll
  void start() throws Exception {
    running = RunningNode.start(storeKind());
    store = running.store();
    node = running.node();
    client = running.client();
  }

  @AfterAll
  void stop() {
    if (running != null) running.close();
  }

  private StockAudit audit(String location, String sku) throws Exception {
    return JournalAudit.run(store.config().withFallback(ConfigFactory.load())).items().stream()
        .filter(a -> a.persistenceId().equals("StockItem|" + location + "/" + sku))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no journal for " + location + "/" + sku));
  }

  // ------------------------------------------------------------------ the last unit

  @Test
  void twoHundredBuyersOnSeparateConnectionsRaceForTheLastUnitAndExactlyOneWins() throws Exception {
    assertEquals(200, client.stock("race", "last-unit", 1).status());
    int buyers = 200;
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Response>> outcomes = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < buyers; i++) {
        String channel = List.of("web", "mobile", "pos").get(i % 3);
        Client own =
            new Client(node.httpPort()); // its own connection pool: one connection per buyer
        outcomes.add(
            pool.submit(
                () -> {
                  start.await();
                  return own.reserve(channel, "race", "last-unit", 1, 60L, null);
                }));
      }
      start.countDown();
      int won = 0;
      int soldOut = 0;
      for (Future<Response> f : outcomes) {
        Response r = f.get();
        if (r.status() == 201) won++;
        else if (r.status() == 409 && r.problem().equals("insufficient-stock")) soldOut++;
        else throw new AssertionError("unexpected " + r);
      }
      assertEquals(1, won);
      assertEquals(buyers - 1, soldOut);
    }
    StockAudit journal = audit("race", "last-unit");
    assertEquals(1, journal.holdsPlaced(), "the journal shows exactly one hold");
    assertTrue(journal.violations().isEmpty(), journal.violations().toString());
    JsonNode level = client.level("race", "last-unit").json();
    assertEquals(1, level.get("reserved").asLong());
    assertEquals(0, level.get("available").asLong());
  }

  @Test
  void soldOutProblemNamesTheLineWithWhatIsAvailable() {
    client.stock("race", "three-left", 3);
    Response r = client.reserve("web", "race", "three-left", 5, null, null);
    assertEquals(409, r.status());
    assertEquals("application/problem+json", r.contentType());
    JsonNode line = r.json().get("lines").get(0);
    assertEquals("three-left", line.get("sku").asText());
    assertEquals(5, line.get("requested").asLong());
    assertEquals(3, line.get("available").asLong());
  }

  @Test
  void aNeverStockedItemIsNotFoundAndCannotBeReserved() {
    Response get = client.level("nowhere", "never-stocked");
    assertEquals(404, get.status());
    assertEquals("stock-item-not-found", get.problem());
    Response reserve = client.reserve("web", "nowhere", "never-stocked", 1, null, null);
    assertEquals(409, reserve.status());
    assertEquals(0, reserve.json().get("lines").get(0).get("available").asLong());
  }

  // ------------------------------------------------------------------ life of a reservation

  @Test
  void commitTakesUnitsOffTheShelfAndFollowsTheStateTable() {
    client.stock("store-1", "commit-me", 5);
    Response held = client.reserve("web", "store-1", "commit-me", 2, null, null);
    assertEquals(201, held.status());
    String id = held.json().get("reservationId").asText();
    assertEquals("/v1/reservations/" + id, held.header("Location"));
    assertEquals("held", held.json().get("status").asText());
    assertEquals("web", held.json().get("channel").asText());
    assertEquals(3, client.level("store-1", "commit-me").json().get("available").asLong());
    assertEquals("held", client.get("/v1/reservations/" + id).json().get("status").asText());

    Response committed = client.post("/v1/reservations/" + id + "/commit", null);
    assertEquals(200, committed.status());
    assertEquals("committed", committed.json().get("status").asText());
    JsonNode level = client.level("store-1", "commit-me").json();
    assertEquals(3, level.get("onHand").asLong());
    assertEquals(0, level.get("reserved").asLong());

    assertEquals(
        200,
        client.post("/v1/reservations/" + id + "/commit", null).status(),
        "commit is idempotent");
    assertEquals(3, client.level("store-1", "commit-me").json().get("onHand").asLong());
    Response release = client.post("/v1/reservations/" + id + "/release", null);
    assertEquals(409, release.status());
    assertEquals("reservation-committed", release.problem());
    Response extend = client.post("/v1/reservations/" + id + "/extend", "{\"ttlSeconds\":60}");
    assertEquals(409, extend.status());
    assertEquals("reservation-committed", extend.problem());
    assertEquals("committed", client.get("/v1/reservations/" + id).json().get("status").asText());
  }

  @Test
  void releaseGivesUnitsBackAndFollowsTheStateTable() {
    client.stock("store-1", "release-me", 4);
    String id =
        client
            .reserve("mobile", "store-1", "release-me", 4, null, null)
            .json()
            .get("reservationId")
            .asText();
    assertEquals(0, client.level("store-1", "release-me").json().get("available").asLong());
    Response released = client.post("/v1/reservations/" + id + "/release", null);
    assertEquals(200, released.status());
    assertEquals("released", released.json().get("status").asText());
    assertEquals(4, client.level("store-1", "release-me").json().get("available").asLong());
    assertEquals(
        200,
        client.post("/v1/reservations/" + id + "/release", null).status(),
        "release is idempotent");
    Response commit = client.post("/v1/reservations/" + id + "/commit", null);
    assertEquals(409, commit.status());
    assertEquals("reservation-released", commit.problem());
    assertEquals(
        "reservation-released",
        client.post("/v1/reservations/" + id + "/extend", "{\"ttlSeconds\":60}").problem());
  }

  @Test
  void aHoldExpiresOnTimeAndIsThenNeitherCountedNorCommittable() throws Exception {
    client.stock("store-1", "expire-me", 2);
    Response held = client.reserve("pos", "store-1", "expire-me", 2, 1L, null);
    assertEquals(201, held.status());
    String id = held.json().get("reservationId").asText();
    Instant deadline = Instant.parse(held.json().get("expiresAt").asText());
    assertTrue(
        held.json()
            .get("expiresAt")
            .asText()
            .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));
    Thread.sleep(Math.max(0, Duration.between(Instant.now(), deadline).toMillis()) + 1500);
    assertEquals("expired", client.get("/v1/reservations/" + id).json().get("status").asText());
    assertEquals(2, client.level("store-1", "expire-me").json().get("available").asLong());
    StockAudit journal = audit("store-1", "expire-me");
    assertEquals(
        1, journal.holdsExpired(), "HoldExpired is journaled within a second of the deadline");
    Response commit = client.post("/v1/reservations/" + id + "/commit", null);
    assertEquals(409, commit.status());
    assertEquals("reservation-expired", commit.problem());
    Response release = client.post("/v1/reservations/" + id + "/release", null);
    assertEquals(200, release.status());
    assertEquals("expired", release.json().get("status").asText());
  }

  @Test
  void extendMovesTheDeadline() {
    client.stock("store-1", "extend-me", 1);
    Response held = client.reserve("web", "store-1", "extend-me", 1, 30L, null);
    String id = held.json().get("reservationId").asText();
    Instant first = Instant.parse(held.json().get("expiresAt").asText());
    Response extended = client.post("/v1/reservations/" + id + "/extend", "{\"ttlSeconds\":3600}");
    assertEquals(200, extended.status());
    Instant later = Instant.parse(extended.json().get("expiresAt").asText());
    assertTrue(later.isAfter(first.plusSeconds(3000)), first + " -> " + later);
    assertEquals(
        later,
        Instant.parse(client.get("/v1/reservations/" + id).json().get("expiresAt").asText()));
  }

  @Test
  void unknownReservationsAreNotFound() {
    for (String id :
        List.of(
            "nope",
            "h~store-1~sku~AAAAAAAAAAAAAAAAAAAAAA",
            "h~bad.loc~sku~AAAAAAAAAAAAAAAAAAAAAA")) {
      Response r = client.get("/v1/reservations/" + id);
      assertEquals(404, r.status(), id);
      assertEquals("reservation-not-found", r.problem());
      assertEquals(404, client.post("/v1/reservations/" + id + "/commit", null).status());
      assertEquals(404, client.post("/v1/reservations/" + id + "/release", null).status());
    }
  }

  // ------------------------------------------------------------------ idempotency

  @Test
  void aRetriedReservationWithTheSameKeyReplaysTheFirstResponse() {
    client.stock("idem", "tv", 10);
    Response first = client.reserve("web", "idem", "tv", 3, 600L, "order-1001");
    Response again = client.reserve("web", "idem", "tv", 3, 600L, "order-1001");
    assertEquals(201, first.status());
    assertEquals(201, again.status());
    assertEquals(first.body(), again.body());
    assertEquals(first.header("Location"), again.header("Location"));
    assertEquals(3, client.level("idem", "tv").json().get("reserved").asLong(), "held once");

    // Same key, same body with keys in another order: still the same request.
    Response reordered =
        client.post(
            "/v1/reservations",
            "{\"ttlSeconds\":600,\"lines\":[{\"quantity\":3,\"sku\":\"tv\",\"location\":\"idem\"}],\"channel\":\"web\"}",
            Map.of("Idempotency-Key", "order-1001"));
    assertEquals(201, reordered.status());
    assertEquals(first.body(), reordered.body());

    // After a commit the retry still answers the first response.
    client.post("/v1/reservations/" + first.json().get("reservationId").asText() + "/commit", null);
    assertEquals(first.body(), client.reserve("web", "idem", "tv", 3, 600L, "order-1001").body());
    assertEquals(7, client.level("idem", "tv").json().get("onHand").asLong());
  }

  @Test
  void aReusedKeyWithAnotherBodyIsRefused() {
    client.stock("idem", "radio", 10);
    assertEquals(201, client.reserve("web", "idem", "radio", 1, 600L, "order-2002").status());
    Response reused = client.reserve("web", "idem", "radio", 2, 600L, "order-2002");
    assertEquals(422, reused.status());
    assertEquals("idempotency-key-reused", reused.problem());
    assertEquals(1, client.level("idem", "radio").json().get("reserved").asLong());
  }

  @Test
  void aRejectionIsNotRememberedSoTheRetryIsDecidedAgain() {
    client.stock("idem", "restock", 0);
    assertEquals(409, client.reserve("web", "idem", "restock", 1, null, "order-3003").status());
    client.stock("idem", "restock", 1);
    assertEquals(201, client.reserve("web", "idem", "restock", 1, null, "order-3003").status());
  }

  @Test
  void aRetriedAdjustmentIsAppliedOnce() {
    client.stock("idem", "crate", 10);
    String body = "{\"delta\":5,\"reason\":\"receipt\",\"reference\":\"PO-77\"}";
    Map<String, String> key = Map.of("Idempotency-Key", "receipt-PO-77");
    Response first = client.post("/v1/stock/idem/crate/adjustments", body, key);
    Response again = client.post("/v1/stock/idem/crate/adjustments", body, key);
    assertEquals(200, first.status());
    assertEquals(first.body(), again.body());
    assertEquals(15, client.level("idem", "crate").json().get("onHand").asLong());
    Response reused =
        client.post(
            "/v1/stock/idem/crate/adjustments", "{\"delta\":6,\"reason\":\"receipt\"}", key);
    assertEquals(422, reused.status());
  }

  // ------------------------------------------------------------------ adjustments and policy

  @Test
  void adjustmentsAndPolicyShapeTheAvailableQuantity() {
    assertEquals(200, client.stock("store-2", "kettle", 10).status());
    Response policy =
        client.put(
            "/v1/stock/store-2/kettle/policy",
            "{\"safetyStock\":2,\"reorderPoint\":3,\"reorderQuantity\":20}");
    assertEquals(200, policy.status());
    assertEquals(8, policy.json().get("available").asLong());
    Response damaged =
        client.post("/v1/stock/store-2/kettle/adjustments", "{\"delta\":-4,\"reason\":\"damage\"}");
    assertEquals(6, damaged.json().get("onHand").asLong());
    assertEquals(4, damaged.json().get("available").asLong());
    Response negative =
        client.post("/v1/stock/store-2/kettle/adjustments", "{\"delta\":-7,\"reason\":\"damage\"}");
    assertEquals(409, negative.status());
    assertEquals("negative-on-hand", negative.problem());
    assertEquals(6, client.level("store-2", "kettle").json().get("onHand").asLong());
    JsonNode level = client.level("store-2", "kettle").json();
    assertEquals(2, level.get("safetyStock").asLong());
    assertEquals(3, level.get("reorderPoint").asLong());
    assertEquals(20, level.get("reorderQuantity").asLong());
  }

  // ------------------------------------------------------------------ channels and customers

  private Response reserveFor(String customer, String channel, String... lines) {
    String body =
        "{\"channel\":\""
            + channel
            + "\","
            + (customer == null ? "" : "\"customerId\":\"" + customer + "\",")
            + "\"lines\":["
            + String.join(",", lines)
            + "]}";
    return client.post("/v1/reservations", body);
  }

  private static String line(String location, String sku, long quantity) {
    return "{\"location\":\""
        + location
        + "\",\"sku\":\""
        + sku
        + "\",\"quantity\":"
        + quantity
        + "}";
  }

  @Test
  void theWebCannotTakeTheLastUnitsKeptForThePosButThePosCan() {
    client.stock("fence-1", "mug", 10);
    Response policy =
        client.put(
            "/v1/stock/fence-1/mug/policy",
            "{\"safetyStock\":0,\"reorderPoint\":0,\"reorderQuantity\":0,"
                + "\"channelReserve\":{\"pos\":5}}");
    assertEquals(200, policy.status(), policy.toString());
    assertEquals(10, policy.json().get("availableByChannel").get("pos").asLong());
    assertEquals(5, policy.json().get("availableByChannel").get("*").asLong());

    Response tooMany = reserveFor(null, "web", line("fence-1", "mug", 6));
    assertEquals(409, tooMany.status());
    assertEquals(5, tooMany.json().get("lines").get(0).get("available").asLong());
    assertEquals(201, reserveFor(null, "web", line("fence-1", "mug", 5)).status());
    assertEquals(409, reserveFor(null, "mobile", line("fence-1", "mug", 1)).status());
    JsonNode level = client.level("fence-1", "mug").json();
    assertEquals(0, level.get("availableByChannel").get("*").asLong());
    assertEquals(5, level.get("availableByChannel").get("pos").asLong());
    assertEquals(201, reserveFor(null, "pos", line("fence-1", "mug", 5)).status());
    assertEquals(0, client.level("fence-1", "mug").json().get("available").asLong());
  }

  @Test
  void aCustomerGetsNoMoreThanTheLimitAndACartOverItHoldsNothing() throws Exception {
    String limit =
        "{\"safetyStock\":0,\"reorderPoint\":0,\"reorderQuantity\":0,\"maxPerCustomer\":2}";
    for (String sku : List.of("tee", "cap")) {
      client.stock("limit-1", sku, 100);
      assertEquals(200, client.put("/v1/stock/limit-1/" + sku + "/policy", limit).status());
    }
    Response anonymous = reserveFor(null, "web", line("limit-1", "tee", 1));
    assertEquals(400, anonymous.status());
    assertEquals("customer-required", anonymous.problem());

    Response first = reserveFor("c-1", "web", line("limit-1", "tee", 2));
    assertEquals(201, first.status(), first.toString());
    Response over = reserveFor("c-1", "pos", line("limit-1", "tee", 1));
    assertEquals(409, over.status());
    assertEquals("customer-limit", over.problem());
    assertEquals("tee", over.json().get("lines").get(0).get("sku").asText());
    assertEquals(0, over.json().get("lines").get(0).get("available").asLong());

    // A cart with one line over the limit holds none of its lines.
    Response cart = reserveFor("c-1", "web", line("limit-1", "cap", 1), line("limit-1", "tee", 1));
    assertEquals(409, cart.status());
    assertEquals("customer-limit", cart.problem());
    assertEquals(1, cart.json().get("lines").size());
    assertEquals("tee", cart.json().get("lines").get(0).get("sku").asText());
    assertEquals(0, client.level("limit-1", "cap").json().get("reserved").asLong());

    // Another customer is not affected; a release gives the allowance back.
    assertEquals(201, reserveFor("c-2", "web", line("limit-1", "tee", 2)).status());
    String id = first.json().get("reservationId").asText();
    assertEquals(200, client.post("/v1/reservations/" + id + "/release", "").status());
    assertEquals(201, reserveFor("c-1", "pos", line("limit-1", "tee", 1)).status());
  }

  @Test
  void sixtyFourConnectionsOfOneCustomerGetNoMoreThanItsLimit() throws Exception {
    String limit =
        "{\"safetyStock\":0,\"reorderPoint\":0,\"reorderQuantity\":0,\"maxPerCustomer\":2}";
    for (String sku : List.of("one", "two")) {
      client.stock("limit-64", sku, 1_000);
      assertEquals(200, client.put("/v1/stock/limit-64/" + sku + "/policy", limit).status());
    }
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Response>> outcomes = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 64; i++) {
        int n = i;
        Client own = new Client(node.httpPort(), client.key());
        outcomes.add(
            pool.submit(
                () -> {
                  start.await();
                  String channel = n % 2 == 0 ? "web" : "pos";
                  String body =
                      "{\"channel\":\""
                          + channel
                          + "\",\"customerId\":\"same-shopper\",\"lines\":["
                          + (n % 3 == 0
                              ? line("limit-64", "one", 1) + "," + line("limit-64", "two", 1)
                              : line("limit-64", n % 3 == 1 ? "one" : "two", 1))
                          + "]}";
                  return own.post("/v1/reservations", body);
                }));
      }
      start.countDown();
      for (Future<Response> f : outcomes) {
        Response r = f.get();
        assertTrue(
            r.status() == 201 || (r.status() == 409 && r.problem().equals("customer-limit")),
            r.toString());
      }
    }
    for (String sku : List.of("one", "two")) {
      long reserved = client.level("limit-64", sku).json().get("reserved").asLong();
      assertTrue(reserved <= 2, sku + ": " + reserved + " units held for one customer");
      assertTrue(audit("limit-64", sku).violations().isEmpty());
    }
  }

  // ------------------------------------------------------------------ pools

  private static String poolLine(String pool, String sku, long quantity, String extra) {
    return "{\"pool\":\""
        + pool
        + "\",\"sku\":\""
        + sku
        + "\",\"quantity\":"
        + quantity
        + (extra == null ? "" : "," + extra)
        + "}";
  }

  private void pool(String pool, String... locations) {
    Response put =
        client.put(
            "/v1/pools/" + pool, "{\"locations\":[\"" + String.join("\",\"", locations) + "\"]}");
    assertEquals(200, put.status(), put.toString());
  }

  @Test
  void aPoolLineTakesFromTheFirstLocationThatHasItAllElseSplitsInOrder() {
    client.stock("pool-a1", "lamp", 2);
    client.stock("pool-a2", "lamp", 5);
    client.stock("pool-a3", "lamp", 9);
    pool("pool-a", "pool-a1", "pool-a2", "pool-a3");
    List<String> listed = new ArrayList<>();
    client.get("/v1/pools/pool-a").json().get("locations").forEach(l -> listed.add(l.asText()));
    assertEquals(List.of("pool-a1", "pool-a2", "pool-a3"), listed);

    Response whole = reserveFor(null, "web", poolLine("pool-a", "lamp", 3, null));
    assertEquals(201, whole.status(), whole.toString());
    JsonNode line = whole.json().get("lines").get(0);
    assertEquals("pool-a", line.get("pool").asText());
    assertEquals(3, line.get("quantity").asLong());
    assertEquals("pool-a2", line.get("allocations").get(0).get("location").asText());
    assertEquals(1, line.get("allocations").size());

    Response noSplit = reserveFor(null, "web", poolLine("pool-a", "lamp", 10, "\"split\":false"));
    assertEquals(409, noSplit.status());
    assertEquals("pool-a", noSplit.json().get("lines").get(0).get("pool").asText());
    assertEquals(13, noSplit.json().get("lines").get(0).get("available").asLong());

    Response split = reserveFor(null, "web", poolLine("pool-a", "lamp", 10, null));
    assertEquals(201, split.status(), split.toString());
    JsonNode parts = split.json().get("lines").get(0).get("allocations");
    assertEquals(2, parts.get(0).get("quantity").asLong());
    assertEquals("pool-a1", parts.get(0).get("location").asText());
    assertEquals(2, parts.get(1).get("quantity").asLong());
    assertEquals(6, parts.get(2).get("quantity").asLong());

    JsonNode stock = client.get("/v1/pools/pool-a/stock/lamp").json();
    assertEquals(3, stock.get("available").asLong());
    assertEquals("pool-a3", stock.get("locations").get(2).get("location").asText());
    assertEquals(3, stock.get("locations").get(2).get("available").asLong());

    // The reservation reads back as it was asked, and a commit takes the units from each location.
    String id = split.json().get("reservationId").asText();
    JsonNode again = client.get("/v1/reservations/" + id).json();
    assertEquals("pool-a", again.get("lines").get(0).get("pool").asText());
    assertEquals(200, client.post("/v1/reservations/" + id + "/commit", "").status());
    assertEquals(0, client.level("pool-a1", "lamp").json().get("onHand").asLong());
  }

  @Test
  void aCartMixingPoolAndLocationLinesHoldsAllOrNothing() {
    client.stock("pool-b1", "desk", 1);
    client.stock("pool-b2", "desk", 1);
    client.stock("pool-b1", "chair", 1);
    pool("pool-b", "pool-b1", "pool-b2");
    Response refused =
        reserveFor(null, "web", poolLine("pool-b", "desk", 2, null), line("pool-b1", "chair", 2));
    assertEquals(409, refused.status());
    for (String location : List.of("pool-b1", "pool-b2")) {
      assertEquals(0, client.level(location, "desk").json().get("reserved").asLong());
    }
    assertEquals(0, client.level("pool-b1", "chair").json().get("reserved").asLong());
    Response held =
        reserveFor(null, "web", poolLine("pool-b", "desk", 2, null), line("pool-b1", "chair", 1));
    assertEquals(201, held.status(), held.toString());
    assertEquals(2, held.json().get("lines").size());
  }

  @Test
  void twoHundredCartsRacingForAPoolHoldExactlyItsUnitsAndLeaveNothingHeldWhenRefused()
      throws Exception {
    for (String location : List.of("pool-c1", "pool-c2", "pool-c3")) {
      client.stock(location, "ticket", 10);
    }
    pool("pool-c", "pool-c1", "pool-c2", "pool-c3");
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Response>> outcomes = new ArrayList<>();
    try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 200; i++) {
        long quantity = 1 + i % 2;
        Client own = new Client(node.httpPort(), client.key());
        outcomes.add(
            workers.submit(
                () -> {
                  start.await();
                  return own.post(
                      "/v1/reservations",
                      "{\"channel\":\"web\",\"lines\":["
                          + poolLine("pool-c", "ticket", quantity, null)
                          + "]}");
                }));
      }
      start.countDown();
      long held = 0;
      for (Future<Response> f : outcomes) {
        Response r = f.get();
        if (r.status() == 201) held += r.json().get("lines").get(0).get("quantity").asLong();
        else assertEquals(409, r.status(), r.toString());
      }
      long reserved = 0;
      for (String location : List.of("pool-c1", "pool-c2", "pool-c3")) {
        JsonNode level = client.level(location, "ticket").json();
        reserved += level.get("reserved").asLong();
        assertTrue(audit(location, "ticket").violations().isEmpty());
      }
      assertEquals(held, reserved, "every unit held belongs to a cart that was told 201");
      assertEquals(30, reserved, "the pool's 30 units are all held");
    }
  }

  @Test
  void badPoolInputIsRefusedNamingTheField() {
    Response unknown = reserveFor(null, "web", poolLine("no-such-pool", "x", 1, null));
    assertEquals(404, unknown.status());
    assertEquals("pool-not-found", unknown.problem());
    assertEquals(404, client.get("/v1/pools/no-such-pool").status());
    assertEquals(404, client.get("/v1/pools/no-such-pool/stock/x").status());

    Response empty = client.put("/v1/pools/pool-bad", "{\"locations\":[]}");
    assertEquals(400, empty.status());
    assertEquals("/locations", empty.json().get("errors").get(0).get("pointer").asText());
    Response twice = client.put("/v1/pools/pool-bad", "{\"locations\":[\"a\",\"a\"]}");
    assertEquals("/locations/1", twice.json().get("errors").get(0).get("pointer").asText());

    Response both =
        reserveFor(null, "web", "{\"pool\":\"p\",\"location\":\"l\",\"sku\":\"x\",\"quantity\":1}");
    assertEquals(400, both.status());
    assertEquals("/lines/0", both.json().get("errors").get(0).get("pointer").asText());
    Response neither = reserveFor(null, "web", "{\"sku\":\"x\",\"quantity\":1}");
    assertEquals(400, neither.status());

    pool("pool-gone", "somewhere");
    assertEquals(204, client.send("DELETE", "/v1/pools/pool-gone", null, Map.of()).status());
    assertEquals(404, client.get("/v1/pools/pool-gone").status());
  }

  @Test
  void badChannelAndCustomerInputIsRefusedNamingTheField() {
    client.stock("limit-bad", "item", 5);
    Response badCustomer = reserveFor("has space", "web", line("limit-bad", "item", 1));
    assertEquals(400, badCustomer.status());
    assertEquals("/customerId", badCustomer.json().get("errors").get(0).get("pointer").asText());
    Response badChannel =
        client.put(
            "/v1/stock/limit-bad/item/policy",
            "{\"safetyStock\":0,\"reorderPoint\":0,\"reorderQuantity\":0,"
                + "\"channelReserve\":{\"Web Shop\":2}}");
    assertEquals(400, badChannel.status());
    assertEquals(
        "/channelReserve/Web Shop", badChannel.json().get("errors").get(0).get("pointer").asText());
    Response badLimit =
        client.put(
            "/v1/stock/limit-bad/item/policy",
            "{\"safetyStock\":0,\"reorderPoint\":0,\"reorderQuantity\":0,"
                + "\"maxPerCustomer\":-1}");
    assertEquals(400, badLimit.status());
    assertEquals(0, client.level("limit-bad", "item").json().get("reserved").asLong());
  }

  @Test
  void historyShowsEveryEventOfAnItemInOrderAPageAtATime() {
    client.stock("audit", "lamp", 5);
    String id =
        client.reserve("web", "audit", "lamp", 2, null, null).json().get("reservationId").asText();
    client.post("/v1/reservations/" + id + "/commit", null);
    client.post(
        "/v1/stock/audit/lamp/adjustments",
        "{\"delta\":-1,\"reason\":\"damage\",\"reference\":\"dropped\"}");
    Response first = client.get("/v1/stock/audit/lamp/history?limit=2");
    assertEquals(200, first.status(), first.toString());
    JsonNode items = first.json().get("items");
    assertEquals(2, items.size());
    assertEquals("stock-adjusted", items.get(0).get("type").asText());
    assertEquals(5, items.get(0).get("delta").asLong());
    assertEquals("StockItem|audit/lamp:1", items.get(0).get("eventId").asText());
    assertEquals("hold-placed", items.get(1).get("type").asText());
    assertEquals(2, items.get(1).get("quantity").asLong());
    assertEquals(3, items.get(1).get("available").asLong());
    String cursor = first.json().get("nextCursor").asText();
    Response rest = client.get("/v1/stock/audit/lamp/history?limit=2&cursor=" + cursor);
    JsonNode more = rest.json().get("items");
    assertEquals("hold-committed", more.get(0).get("type").asText());
    assertEquals("stock-adjusted", more.get(1).get("type").asText());
    assertEquals(-1, more.get(1).get("delta").asLong());
    assertEquals("dropped", more.get(1).get("reference").asText());
    Response last =
        client.get("/v1/stock/audit/lamp/history?cursor=" + rest.json().get("nextCursor").asText());
    assertEquals(0, last.json().get("items").size());
    assertTrue(last.json().get("nextCursor").isNull());

    assertEquals("stock-item-not-found", client.get("/v1/stock/audit/never/history").problem());
    assertEquals(
        "#/query/limit",
        client
            .get("/v1/stock/audit/lamp/history?limit=0")
            .json()
            .get("errors")
            .get(0)
            .get("pointer")
            .asText());
    assertEquals(
        "#/query/cursor",
        client
            .get("/v1/stock/audit/lamp/history?cursor=x")
            .json()
            .get("errors")
            .get(0)
            .get("pointer")
            .asText());
  }

  // ------------------------------------------------------------------ bad input

  record Bad(
      String method,
      String path,
      String body,
      Map<String, String> headers,
      int status,
      String slug,
      String pointer) {}

  @Test
  void badInputIsRefusedWithAProblemAndChangesNothing() throws Exception {
    client.stock("bad", "item", 5);
    String r = "/v1/reservations";
    String adj = "/v1/stock/bad/item/adjustments";
    String line = "{\"location\":\"bad\",\"sku\":\"item\",\"quantity\":%s}";
    String res = "{\"channel\":\"web\",\"lines\":[" + line + "]}";
    Map<String, String> none = Map.of();
    List<Bad> cases =
        List.of(
            new Bad("POST", r, "{\"channel\":", none, 400, "invalid-request", ""),
            new Bad("POST", r, "[1,2]", none, 400, "invalid-request", ""),
            new Bad("POST", r, "", none, 400, "invalid-request", ""),
            new Bad(
                "POST",
                r,
                res.formatted("\"1\""),
                none,
                400,
                "invalid-request",
                "/lines/0/quantity"),
            new Bad(
                "POST", r, res.formatted("1.5"), none, 400, "invalid-request", "/lines/0/quantity"),
            new Bad(
                "POST", r, res.formatted("1.0"), none, 400, "invalid-request", "/lines/0/quantity"),
            new Bad(
                "POST", r, res.formatted("0"), none, 400, "invalid-request", "/lines/0/quantity"),
            new Bad(
                "POST", r, res.formatted("-1"), none, 400, "invalid-request", "/lines/0/quantity"),
            new Bad(
                "POST",
                r,
                res.formatted("10001"),
                none,
                400,
                "invalid-request",
                "/lines/0/quantity"),
            new Bad(
                "POST",
                r,
                res.formatted("99999999999999999999999"),
                none,
                400,
                "invalid-request",
                "/lines/0/quantity"),
            new Bad(
                "POST",
                r,
                res.formatted("null"),
                none,
                400,
                "invalid-request",
                "/lines/0/quantity"),
            new Bad(
                "POST",
                r,
                "{\"channel\":\"web\",\"lines\":[{\"location\":\"bad\",\"sku\":\"item\"}]}",
                none,
                400,
                "invalid-request",
                "/lines/0/quantity"),
            new Bad(
                "POST",
                r,
                "{\"lines\":[" + line.formatted(1) + "]}",
                none,
                400,
                "invalid-request",
                "/channel"),
            new Bad(
                "POST",
                r,
                "{\"channel\":\"Web!\",\"lines\":[" + line.formatted(1) + "]}",
                none,
                400,
                "invalid-request",
                "/channel"),
            new Bad(
                "POST",
                r,
                "{\"channel\":\"web\",\"lines\":[]}",
                none,
                400,
                "invalid-request",
                "/lines"),
            new Bad(
                "POST",
                r,
                "{\"channel\":\"web\",\"lines\":[{\"location\":\"bad.loc\",\"sku\":\"item\",\"quantity\":1}]}",
                none,
                400,
                "invalid-request",
                "/lines/0/location"),
            new Bad(
                "POST",
                r,
                "{\"channel\":\"web\",\"lines\":[{\"location\":\"bad\",\"sku\":\"-item\",\"quantity\":1}]}",
                none,
                400,
                "invalid-request",
                "/lines/0/sku"),
            new Bad(
                "POST",
                r,
                "{\"channel\":\"web\",\"lines\":[" + line.formatted(1) + "],\"color\":\"red\"}",
                none,
                400,
                "invalid-request",
                "/color"),
            new Bad(
                "POST",
                r,
                "{\"channel\":\"web\",\"lines\":[{\"location\":\"bad\",\"sku\":\"item\",\"quantity\":1,\"x\":1}]}",
                none,
                400,
                "invalid-request",
                "/lines/0/x"),
            new Bad(
                "POST",
                r,
                "{\"channel\":\"web\",\"lines\":["
                    + line.formatted(1)
                    + ","
                    + line.formatted(2)
                    + "]}",
                none,
                400,
                "invalid-request",
                "/lines/1"),
            new Bad(
                "POST",
                r,
                "{\"channel\":\"web\",\"lines\":[" + line.formatted(1) + "],\"ttlSeconds\":0}",
                none,
                400,
                "invalid-request",
                "/ttlSeconds"),
            new Bad(
                "POST",
                r,
                "{\"channel\":\"web\",\"lines\":[" + line.formatted(1) + "],\"ttlSeconds\":86401}",
                none,
                400,
                "invalid-request",
                "/ttlSeconds"),
            new Bad(
                "POST",
                r,
                "{\"channel\":\"web\",\"channel\":\"pos\",\"lines\":[" + line.formatted(1) + "]}",
                none,
                400,
                "invalid-request",
                ""),
            new Bad(
                "POST",
                r,
                res.formatted(1),
                Map.of("Idempotency-Key", "x".repeat(256)),
                400,
                "invalid-request",
                "#/header/Idempotency-Key"),
            new Bad(
                "POST",
                r,
                res.formatted(1),
                Map.of("Content-Type", "text/plain"),
                415,
                "unsupported-media-type",
                null),
            new Bad(
                "POST",
                r,
                "{\"channel\":\"web\",\"pad\":\"" + "x".repeat(70_000) + "\"}",
                none,
                413,
                "payload-too-large",
                null),
            new Bad("POST", adj, "{\"reason\":\"count\"}", none, 400, "invalid-request", "/delta"),
            new Bad(
                "POST",
                adj,
                "{\"delta\":1,\"setOnHand\":3,\"reason\":\"count\"}",
                none,
                400,
                "invalid-request",
                "/delta"),
            new Bad(
                "POST",
                adj,
                "{\"delta\":0,\"reason\":\"receipt\"}",
                none,
                400,
                "invalid-request",
                "/delta"),
            new Bad(
                "POST",
                adj,
                "{\"setOnHand\":-1,\"reason\":\"count\"}",
                none,
                400,
                "invalid-request",
                "/setOnHand"),
            new Bad(
                "POST",
                adj,
                "{\"delta\":1,\"reason\":\"theft\"}",
                none,
                400,
                "invalid-request",
                "/reason"),
            new Bad(
                "POST",
                adj,
                "{\"delta\":1,\"reason\":\"receipt\",\"reference\":\"" + "r".repeat(201) + "\"}",
                none,
                400,
                "invalid-request",
                "/reference"),
            new Bad(
                "POST",
                "/v1/stock/bad.loc/item/adjustments",
                "{\"delta\":1,\"reason\":\"receipt\"}",
                none,
                400,
                "invalid-request",
                "#/path/location"),
            new Bad(
                "PUT",
                "/v1/stock/bad/item/policy",
                "{\"safetyStock\":-1,\"reorderPoint\":0,\"reorderQuantity\":0}",
                none,
                400,
                "invalid-request",
                "/safetyStock"),
            new Bad(
                "PUT",
                "/v1/stock/bad/item/policy",
                "{\"safetyStock\":1}",
                none,
                400,
                "invalid-request",
                "/reorderPoint"),
            new Bad("DELETE", "/v1/stock/bad/item", null, none, 405, "method-not-allowed", null),
            new Bad("GET", "/v1/nothing-here", null, none, 404, "not-found", null));
    String before = client.level("bad", "item").body();
    long eventsBefore = audit("bad", "item").events();
    List<String> failures = new ArrayList<>();
    for (Bad c : cases) {
      Response resp = client.send(c.method(), c.path(), c.body(), c.headers());
      String what =
          c.method()
              + " "
              + c.path()
              + " "
              + (c.body() == null ? "" : c.body().substring(0, Math.min(90, c.body().length())));
      if (resp.status() != c.status()) {
        failures.add(what + " -> " + resp);
        continue;
      }
      if (!"application/problem+json".equals(resp.contentType())) {
        failures.add(what + " -> content type " + resp.contentType());
        continue;
      }
      if (!resp.problem().equals(c.slug())) failures.add(what + " -> slug " + resp.problem());
      if (c.pointer() != null) {
        boolean named = false;
        for (JsonNode e : resp.json().path("errors"))
          named |= e.get("pointer").asText().equals(c.pointer());
        if (!named)
          failures.add(
              what
                  + " -> errors "
                  + resp.json().path("errors")
                  + ", expected pointer "
                  + c.pointer());
      }
    }
    assertTrue(failures.isEmpty(), String.join("\n", failures));
    assertEquals(before, client.level("bad", "item").body(), "no state change");
    assertEquals(eventsBefore, audit("bad", "item").events(), "nothing journaled");
  }

  /**
   * A client still sending a refused body must hear the refusal: answering and closing before the
   * body has arrived resets the client's socket, and the 413 is lost with it.
   */
  @Test
  void aBodyTooLargeIsReadAwayBeforeThe413AndTheConnectionServesOn() throws Exception {
    byte[] body = ascii("{\"channel\":\"web\",\"pad\":\"" + "x".repeat(70_000) + "\"}");
    try (Socket socket = new Socket("127.0.0.1", node.httpPort())) {
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[65_536];
      out.write(
          ascii(
              "POST /v1/reservations HTTP/1.1\r\n"
                  + "Host: stockhold\r\n"
                  + "Authorization: "
                  + TestKeys.bearer(TestKeys.MASTER)
                  + "\r\n"
                  + "Content-Type: application/json\r\n"
                  + "Content-Length: "
                  + body.length
                  + "\r\n\r\n"));
      out.write(body, 0, 10_000);
      out.flush();
      socket.setSoTimeout(500);
      try {
        int early = in.read(buffer);
        throw new AssertionError(
            "answered while the body was still coming: "
                + new String(buffer, 0, Math.max(0, early), StandardCharsets.US_ASCII));
      } catch (SocketTimeoutException expected) {
        // nothing yet: the server is still reading the body
      }
      socket.setSoTimeout(10_000);
      out.write(body, 10_000, body.length - 10_000);
      out.flush();
      String answer = new String(buffer, 0, in.read(buffer), StandardCharsets.US_ASCII);
      assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
      out.write(
          ascii(
              "GET /v1/stock/any/thing HTTP/1.1\r\nHost: stockhold\r\nAuthorization: "
                  + TestKeys.bearer(TestKeys.MASTER)
                  + "\r\n\r\n"));
      out.flush();
      String next = new String(buffer, 0, in.read(buffer), StandardCharsets.US_ASCII);
      assertTrue(
          next.startsWith("HTTP/1.1 "), "the same connection answers the next request: " + next);
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  // ------------------------------------------------------------------ every response

  @Test
  void everyResponseCarriesARequestId() {
    Response given =
        client.send("GET", "/v1/stock/any/thing", null, Map.of("X-Request-Id", "checkout-42"));
    assertEquals("checkout-42", given.header("X-Request-Id"));
    Response generated = client.get("/v1/stock/any/thing");
    assertNotNull(generated.header("X-Request-Id"));
    assertNotEquals(
        generated.header("X-Request-Id"), client.get("/v1/stock/any/thing").header("X-Request-Id"));
    assertNotNull(client.get("/v1/nothing").header("X-Request-Id"), "rejections too");
  }

  @Test
  void theManagementPortAnswersReadyAndAlive() {
    Client management = new Client(node.managementPort());
    assertEquals(200, management.get("/ready").status(), "in the cluster, storage answering");
    assertEquals(200, management.get("/alive").status());
  }

  @Test
  void theManagementPortShowsTheClusterReadOnly() {
    Client management = new Client(node.managementPort());
    assertEquals(200, client.stock("where", "placed", 1).status());
    Response members = management.get("/cluster/members");
    assertEquals(200, members.status(), members.toString());
    String self = members.json().path("selfNode").asText();
    assertTrue(self.startsWith("pekko://"), members.body());
    Response shards = management.get("/cluster/shards/StockItem");
    assertEquals(200, shards.status(), shards.toString());
    assertTrue(
        shards.json().path("regions").size() >= 1,
        "the item's shard is hosted here: " + shards.body());

    // No one leaves or downs a node over the management port.
    Response leave = management.send("DELETE", "/cluster/members/" + self, null, Map.of());
    assertTrue(leave.status() >= 400 && leave.status() < 500, leave.toString());
    Response down =
        management.send(
            "PUT",
            "/cluster/members/" + self,
            "operation=Down",
            Map.of("Content-Type", "application/x-www-form-urlencoded"));
    assertTrue(down.status() >= 400 && down.status() < 500, down.toString());
    assertEquals(200, management.get("/ready").status(), "still a member");
  }

  @Test
  void theOpenApiDocumentIsServed() {
    Response doc = client.get("/v1/openapi.yaml");
    assertEquals(200, doc.status());
    assertTrue(doc.contentType().startsWith("application/yaml"), doc.contentType());
    assertTrue(doc.body().contains("openapi: 3.1"));
  }

  @Test
  void aManyThreadedMixOfOperationsKeepsTheBooksBalanced() throws Exception {
    client.stock("mix", "widget", 50);
    AtomicInteger held = new AtomicInteger();
    ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
      List<Future<?>> work = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        int n = i;
        work.add(
            pool.submit(
                () -> {
                  Response r = client.reserve("web", "mix", "widget", 1 + n % 3, 60L, "mix-" + n);
                  if (r.status() == 409) return;
                  if (r.status() != 201) {
                    unexpected.add(r.toString());
                    return;
                  }
                  held.incrementAndGet();
                  String id = r.json().get("reservationId").asText();
                  Response end =
                      client.post(
                          "/v1/reservations/" + id + (n % 2 == 0 ? "/commit" : "/release"), null);
                  if (end.status() != 200) unexpected.add(end.toString());
                }));
      }
      for (Future<?> f : work) f.get();
    }
    assertTrue(unexpected.isEmpty(), unexpected.toString());
    StockAudit journal = audit("mix", "widget");
    assertTrue(journal.violations().isEmpty(), journal.violations().toString());
    assertEquals(held.get(), journal.holdsPlaced());
    JsonNode level = client.level("mix", "widget").json();
    assertEquals(0, level.get("reserved").asLong());
    assertEquals(journal.onHand(), level.get("onHand").asLong());
    assertEquals(50 - journal.unitsCommitted(), level.get("onHand").asLong());
  }
}
