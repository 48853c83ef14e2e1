package io.stockhold.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.stockhold.node.StockholdNode;
import io.stockhold.testing.Client;
import io.stockhold.testing.Client.Response;
import io.stockhold.testing.RunningNode;
import io.stockhold.testing.TestStore;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Carts held all-or-nothing across stock items, on PostgreSQL with the real server. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MultiLineReservationsIT {

  private RunningNode running;
  private TestStore store;
  private StockholdNode node;
  private Client client;

  @BeforeAll
  void start() throws Exception {
    running = RunningNode.start(TestStore.Kind.POSTGRES);
    store = running.store();
    node = running.node();
    client = running.client();
  }

  @AfterAll
  void stop() {
    if (running != null) running.close();
  }

  static String cart(String channel, Long ttl, String... lines) {
    StringBuilder b = new StringBuilder("{\"channel\":\"" + channel + "\",\"lines\":[");
    for (int i = 0; i < lines.length; i++) {
      String[] parts = lines[i].split(":"); // location/sku:quantity
      String[] item = parts[0].split("/");
      if (i > 0) b.append(',');
      b.append("{\"location\":\"")
          .append(item[0])
          .append("\",\"sku\":\"")
          .append(item[1])
          .append("\",\"quantity\":")
          .append(parts[1])
          .append('}');
    }
    return b.append(']').append(ttl == null ? "" : ",\"ttlSeconds\":" + ttl).append('}').toString();
  }

  private long reserved(String location, String sku) {
    return client.level(location, sku).json().get("reserved").asLong();
  }

  private long onHand(String location, String sku) {
    return client.level(location, sku).json().get("onHand").asLong();
  }

  @Test
  void oneShortLineMeansNothingIsHeldAndEveryShortLineIsNamed() {
    client.stock("s1", "a", 5);
    client.stock("s1", "b", 1);
    client.stock("s2", "c", 0);
    client.stock("s2", "d", 5);
    Response r =
        client.post("/v1/reservations", cart("web", null, "s1/a:2", "s1/b:2", "s2/c:1", "s2/d:2"));
    assertEquals(409, r.status(), r.toString());
    assertEquals("insufficient-stock", r.problem());
    JsonNode lines = r.json().get("lines");
    assertEquals(2, lines.size(), lines.toString());
    assertEquals("b", lines.get(0).get("sku").asText());
    assertEquals(2, lines.get(0).get("requested").asLong());
    assertEquals(1, lines.get(0).get("available").asLong());
    assertEquals("c", lines.get(1).get("sku").asText());
    assertEquals(0, lines.get(1).get("available").asLong());
    for (String sku : List.of("a", "b"))
      assertEquals(0, reserved("s1", sku), sku + " holds nothing");
    assertEquals(0, reserved("s2", "d"));
  }

  @Test
  void aHeldCartCommitsEveryLine() {
    client.stock("s3", "tv", 4);
    client.stock("online", "cable", 10);
    Response held = client.post("/v1/reservations", cart("web", 600L, "s3/tv:1", "online/cable:3"));
    assertEquals(201, held.status(), held.toString());
    String id = held.json().get("reservationId").asText();
    assertEquals("/v1/reservations/" + id, held.header("Location"));
    assertEquals(2, held.json().get("lines").size());
    assertEquals(1, reserved("s3", "tv"));
    assertEquals(3, reserved("online", "cable"));
    assertEquals("held", client.get("/v1/reservations/" + id).json().get("status").asText());

    Response committed = client.post("/v1/reservations/" + id + "/commit", null);
    assertEquals(200, committed.status(), committed.toString());
    assertEquals("committed", committed.json().get("status").asText());
    assertEquals(3, onHand("s3", "tv"));
    assertEquals(7, onHand("online", "cable"));
    assertEquals(0, reserved("s3", "tv") + reserved("online", "cable"));
    assertEquals(200, client.post("/v1/reservations/" + id + "/commit", null).status());
    assertEquals(
        "reservation-committed",
        client.post("/v1/reservations/" + id + "/release", null).problem());
    assertEquals(
        "reservation-committed",
        client.post("/v1/reservations/" + id + "/extend", "{\"ttlSeconds\":60}").problem());
    assertEquals(3, onHand("s3", "tv"), "committed once");
  }

  @Test
  void releaseAndExtendApplyToEveryLine() {
    client.stock("s4", "x", 3);
    client.stock("s4", "y", 3);
    Response held = client.post("/v1/reservations", cart("mobile", 60L, "s4/x:3", "s4/y:3"));
    String id = held.json().get("reservationId").asText();
    Instant first = Instant.parse(held.json().get("expiresAt").asText());
    Response extended = client.post("/v1/reservations/" + id + "/extend", "{\"ttlSeconds\":3600}");
    assertEquals(200, extended.status(), extended.toString());
    assertTrue(
        Instant.parse(extended.json().get("expiresAt").asText()).isAfter(first.plusSeconds(3000)));
    Response released = client.post("/v1/reservations/" + id + "/release", null);
    assertEquals(200, released.status());
    assertEquals("released", released.json().get("status").asText());
    assertEquals(0, reserved("s4", "x") + reserved("s4", "y"));
    assertEquals(
        "reservation-released", client.post("/v1/reservations/" + id + "/commit", null).problem());
    assertEquals(200, client.post("/v1/reservations/" + id + "/release", null).status());
  }

  @Test
  void aCartExpiresAsAWholeAndGivesEveryLineBack() throws Exception {
    client.stock("s5", "x", 2);
    client.stock("s5", "y", 2);
    Response held = client.post("/v1/reservations", cart("pos", 1L, "s5/x:2", "s5/y:1"));
    assertEquals(201, held.status());
    String id = held.json().get("reservationId").asText();
    Instant deadline = Instant.parse(held.json().get("expiresAt").asText());
    Thread.sleep(Math.max(0, Duration.between(Instant.now(), deadline).toMillis()) + 3000);
    assertEquals("expired", client.get("/v1/reservations/" + id).json().get("status").asText());
    assertEquals(
        0,
        reserved("s5", "x") + reserved("s5", "y"),
        "lines released at the deadline, not after the grace");
    assertEquals(
        "reservation-expired", client.post("/v1/reservations/" + id + "/commit", null).problem());
    Response release = client.post("/v1/reservations/" + id + "/release", null);
    assertEquals(200, release.status());
    assertEquals("expired", release.json().get("status").asText());
  }

  @Test
  void aRetriedCartWithItsKeyReplaysTheFirstAnswer() {
    client.stock("s6", "x", 5);
    client.stock("s6", "y", 5);
    Map<String, String> key = Map.of("Idempotency-Key", "cart-1");
    String body = cart("web", 600L, "s6/x:1", "s6/y:2");
    Response first = client.post("/v1/reservations", body, key);
    Response again = client.post("/v1/reservations", body, key);
    assertEquals(201, first.status());
    assertEquals(first.body(), again.body());
    assertEquals(first.header("Location"), again.header("Location"));
    assertEquals(1, reserved("s6", "x"));
    Response reused = client.post("/v1/reservations", cart("web", 600L, "s6/x:2", "s6/y:2"), key);
    assertEquals(422, reused.status());
  }

  @Test
  void aRefusedCartIsDecidedAgainWhenRetried() {
    client.stock("s7", "x", 5);
    client.stock("s7", "y", 0);
    Map<String, String> key = Map.of("Idempotency-Key", "cart-2");
    String body = cart("web", 600L, "s7/x:1", "s7/y:1");
    assertEquals(409, client.post("/v1/reservations", body, key).status());
    client.stock("s7", "y", 1);
    Response retry = client.post("/v1/reservations", body, key);
    assertEquals(201, retry.status(), retry.toString());
    assertEquals(1, reserved("s7", "x"));
    assertEquals(1, reserved("s7", "y"));
  }

  private long journalRows(String persistenceIdPrefix) throws Exception {
    try (var c = DriverManager.getConnection(store.jdbcUrl(), "postgres", "");
        var q =
            c.prepareStatement("SELECT count(*) FROM event_journal WHERE persistence_id LIKE ?")) {
      q.setString(1, persistenceIdPrefix + "%");
      try (var rs = q.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Test
  void aSingleLineReservationCostsExactlyOneJournalWriteAndNoReservationEntity() throws Exception {
    client.stock("s9", "solo", 10);
    client.reserve("web", "s9", "solo", 1, null, null); // the item is up and remembered
    long items = journalRows("StockItem|s9/solo");
    long all = journalRows("");
    long reservations = journalRows("Reservation|");
    assertEquals(201, client.reserve("web", "s9", "solo", 1, null, null).status());
    assertEquals(items + 1, journalRows("StockItem|s9/solo"), "one HoldPlaced");
    assertEquals(all + 1, journalRows(""), "nothing else written");
    assertEquals(reservations, journalRows("Reservation|"));
  }

  @Test
  void aHundredAndOneLinesAreRefused() {
    String[] lines =
        IntStream.range(0, 101).mapToObj(i -> "s8/sku-" + i + ":1").toArray(String[]::new);
    Response r = client.post("/v1/reservations", cart("web", null, lines));
    assertEquals(400, r.status());
    assertEquals("/lines", r.json().get("errors").get(0).get("pointer").asText());
    String[] hundred =
        IntStream.range(0, 100).mapToObj(i -> "s8/sku-" + i + ":1").toArray(String[]::new);
    for (int i = 0; i < 100; i++) client.stock("s8", "sku-" + i, 1);
    assertEquals(201, client.post("/v1/reservations", cart("web", null, hundred)).status());
  }

  @Test
  void cartsRacingForTheSameItemsInOppositeOrdersAllGetAnAnswerAndAtMostOneWins() throws Exception {
    client.stock("race", "left", 1);
    client.stock("race", "right", 1);
    int carts = 120;
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Response>> answers = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < carts; i++) {
        String body =
            i % 2 == 0
                ? cart("web", 600L, "race/left:1", "race/right:1")
                : cart("web", 600L, "race/right:1", "race/left:1");
        Client own = new Client(node.httpPort());
        answers.add(
            pool.submit(
                () -> {
                  start.await();
                  return own.post("/v1/reservations", body);
                }));
      }
      start.countDown();
      int won = 0;
      for (Future<Response> f : answers) {
        Response r = f.get();
        if (r.status() == 201) won++;
        else assertEquals(409, r.status(), r.toString());
      }
      assertTrue(won <= 1, won + " carts won");
      assertEquals(won, reserved("race", "left"));
      assertEquals(won, reserved("race", "right"));
      System.out.printf(
          "%d carts in opposite orders over two 1-unit items: %d won, %d refused%n",
          carts, won, carts - won);
    }
  }

  @Test
  void manyCartsOverSharedItemsKeepReservedEqualToTheHeldCarts() throws Exception {
    List<String> skus = List.of("p", "q", "r", "s");
    for (String sku : skus) client.stock("mix", sku, 20);
    List<Future<Response>> answers = new ArrayList<>();
    List<String> bodies = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(24)) {
      for (int n = 0; n < 150; n++) {
        int i = n;
        List<String> picked = new ArrayList<>(skus);
        Collections.shuffle(picked, new Random(i));
        String body =
            cart(
                "web",
                600L,
                picked.subList(0, 2 + i % 3).stream()
                    .map(s -> "mix/" + s + ":" + (1 + i % 2))
                    .toArray(String[]::new));
        bodies.add(body);
        answers.add(pool.submit(() -> client.post("/v1/reservations", body)));
      }
      Map<String, Long> expected = skus.stream().collect(Collectors.toMap(s -> s, s -> 0L));
      for (Future<Response> f : answers) {
        Response r = f.get();
        if (r.status() == 409) continue;
        assertEquals(201, r.status(), r.toString());
        for (JsonNode line : r.json().get("lines"))
          expected.merge(line.get("sku").asText(), line.get("quantity").asLong(), Long::sum);
      }
      for (String sku : skus) assertEquals(expected.get(sku), reserved("mix", sku), sku);
    }
  }
}
