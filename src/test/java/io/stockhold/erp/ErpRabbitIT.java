package io.stockhold.erp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.rabbitmq.client.AMQP;
import io.stockhold.chaos.TcpRelay;
import io.stockhold.node.StockholdNode;
import io.stockhold.testing.Client;
import io.stockhold.testing.NodeProcess;
import io.stockhold.testing.Rabbit;
import io.stockhold.testing.Rabbit.Delivered;
import io.stockhold.testing.TestNodes;
import io.stockhold.testing.TestStore;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** Inventory events to a real RabbitMQ and receipts back, over a real PostgreSQL journal. */
class ErpRabbitIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void everyEventTypeArrivesWithItsRoutingKeyIdAndBody() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES);
        Rabbit rabbit = new Rabbit();
        StockholdNode node = TestNodes.start(store, rabbit.config(Rabbit.PORT))) {
      Client http = new Client(node.httpPort());
      assertEquals(
          200,
          http.post(
                  "/v1/stock/store-7/sku-1/adjustments",
                  "{\"delta\":10,\"reason\":\"receipt\",\"reference\":\"PO-1\"}")
              .status());
      assertEquals(
          200,
          http.put(
                  "/v1/stock/store-7/sku-1/policy",
                  "{\"safetyStock\":1,\"reorderPoint\":5,\"reorderQuantity\":40}")
              .status());
      String committed =
          http.reserve("web", "store-7", "sku-1", 3, null, null)
              .json()
              .get("reservationId")
              .asText();
      String released =
          http.reserve("mobile", "store-7", "sku-1", 1, null, null)
              .json()
              .get("reservationId")
              .asText();
      String extended =
          http.reserve("pos", "store-7", "sku-1", 2, 600L, null)
              .json()
              .get("reservationId")
              .asText();
      assertEquals(200, http.post("/v1/reservations/" + committed + "/commit", "").status());
      assertEquals(200, http.post("/v1/reservations/" + released + "/release", "").status());
      assertEquals(
          200,
          http.post("/v1/reservations/" + extended + "/extend", "{\"ttlSeconds\":900}").status());
      assertEquals(
          201, http.reserve("web", "store-7", "sku-1", 1, 1L, null).status()); // lapses in 1 s
      assertEquals(200, http.stock("store-7", "sku-1", 1).status()); // below what is held: shortage

      Set<String> allTypes =
          Set.of(
              "stock-adjusted",
              "policy-changed",
              "hold-placed",
              "hold-committed",
              "hold-released",
              "hold-extended",
              "hold-expired",
              "low-stock-crossed",
              "shortage-detected");
      List<Delivered> got = rabbit.take(rabbit.erpQueue(), types(allTypes), WAIT);

      JsonSchema schema = schema();
      List<Long> sequence = new ArrayList<>();
      for (Delivered d : got) {
        JsonNode body = d.json();
        String type = body.get("type").asText();
        assertEquals("inventory." + type + ".store-7", d.routingKey());
        assertEquals(body.get("eventId").asText(), d.properties().getMessageId());
        assertTrue(d.properties().getMessageId().endsWith(":" + body.get("sequenceNr").asLong()));
        assertEquals(type, d.properties().getType());
        assertEquals(type, d.header("type"));
        assertEquals("application/json", d.properties().getContentType());
        assertEquals(2, d.properties().getDeliveryMode(), "persistent");
        assertEquals("sku-1", body.get("sku").asText());
        assertTrue(
            schema.validate(body).isEmpty(),
            () -> "schema: " + schema.validate(body) + " for " + body);
        sequence.add(body.get("sequenceNr").asLong());
      }
      for (int i = 0; i < sequence.size(); i++)
        assertEquals(i + 1, sequence.get(i), "in journal order: " + sequence);
      assertEquals(
          sequence.size(),
          journalEvents(store).get("StockItem|store-7/sku-1"),
          "one message per event");
    }
  }

  @Test
  void aBrokerOutageDuringWritesLosesNothingAndKeepsEachItemInOrder() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES);
        Rabbit rabbit = new Rabbit();
        TcpRelay network = new TcpRelay(Rabbit.PORT);
        StockholdNode node = TestNodes.start(store, rabbit.config(network.port()))) {
      Client http = new Client(node.httpPort());
      AtomicInteger written = new AtomicInteger();
      AtomicBoolean writing = new AtomicBoolean(true);
      Thread writer =
          Thread.ofPlatform()
              .start(
                  () -> {
                    int i = 0;
                    while (writing.get()) {
                      var r =
                          http.post(
                              "/v1/stock/store-" + (i % 3) + "/sku-" + (i % 5) + "/adjustments",
                              "{\"delta\":1,\"reason\":\"return\"}");
                      if (r.status() != 200)
                        throw new AssertionError("the engine must keep serving: " + r);
                      written.incrementAndGet();
                      i++;
                    }
                  });
      Thread.sleep(1500);
      network.cut();
      int atCut = written.get();
      Thread.sleep(5000);
      int duringOutage = written.get() - atCut;
      network.heal();
      Thread.sleep(1500);
      writing.set(false);
      writer.join();
      assertTrue(duringOutage > 0, "writes went on while the broker was away");

      Map<String, Long> journal = journalEvents(store);
      long total = journal.values().stream().mapToLong(Long::longValue).sum();
      List<Delivered> got = rabbit.take(rabbit.erpQueue(), distinctIds(total), WAIT);
      assertEachItemUnbroken(got, journal);
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (behind(node) > 0) {
        if (System.nanoTime() > deadline)
          throw new AssertionError("ERP slices still behind: " + behind(node));
        Thread.sleep(200);
      }
    }
  }

  private static long behind(StockholdNode node) throws Exception {
    long events = 0;
    for (int slice = 0; slice < 4; slice++)
      events += node.erpLag().measure("stock-" + slice).events();
    return events;
  }

  @Test
  void aKilledEngineRepublishesWhatWasNotConfirmedWithTheSameIds() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES);
        Rabbit rabbit = new Rabbit()) {
      Map<String, String> env = Map.of("JAVA_TOOL_OPTIONS", rabbit.javaOptions(Rabbit.PORT));
      try (NodeProcess first = NodeProcess.start(store, "erp-kill-1", env)) {
        Client http = new Client(first.httpPort());
        for (int i = 0; i < 200; i++) {
          assertEquals(
              200,
              http.post(
                      "/v1/stock/store-1/sku-" + (i % 4) + "/adjustments",
                      "{\"delta\":1,\"reason\":\"receipt\"}")
                  .status());
        }
        first.kill(); // mid-flow: some events published, some maybe not confirmed or offset not
        // stored
      }
      try (NodeProcess second = NodeProcess.start(store, "erp-kill-2", env)) {
        Client http = new Client(second.httpPort());
        for (int i = 0; i < 40; i++) {
          assertEquals(
              200,
              http.post(
                      "/v1/stock/store-1/sku-" + (i % 4) + "/adjustments",
                      "{\"delta\":1,\"reason\":\"receipt\"}")
                  .status());
        }
        Map<String, Long> journal = journalEvents(store);
        assertEquals(240, journal.values().stream().mapToLong(Long::longValue).sum());
        List<Delivered> got = rabbit.take(rabbit.erpQueue(), distinctIds(240), WAIT);
        assertEachItemUnbroken(got, journal);
        Map<String, String> bodyById = new HashMap<>();
        for (Delivered d : got) {
          String body = new String(d.body(), StandardCharsets.UTF_8);
          String before = bodyById.putIfAbsent(d.properties().getMessageId(), body);
          if (before != null)
            assertEquals(before, body, "a re-published message is the same message");
        }
      }
    }
  }

  @Test
  void receiptsApplyOnceAndPoisonGoesToTheDeadLetterQueue() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES);
        Rabbit rabbit = new Rabbit();
        StockholdNode node = TestNodes.start(store, rabbit.config(Rabbit.PORT))) {
      Client http = new Client(node.httpPort());
      AMQP.BasicProperties json =
          new AMQP.BasicProperties.Builder().contentType("application/json").build();
      List<String> good =
          List.of(
              "{\"receiptId\":\"GR-1\",\"location\":\"wh-1\",\"sku\":\"sku-9\",\"quantity\":5,\"reference\":\"PO-77\"}",
              "{\"receiptId\":\"GR-1\",\"location\":\"wh-1\",\"sku\":\"sku-9\",\"quantity\":5,\"reference\":\"PO-77\"}",
              "{\"receiptId\":\"GR-2\",\"location\":\"wh-1\",\"sku\":\"sku-9\",\"quantity\":3}");
      List<String> poison =
          List.of(
              "not json at all",
              "{\"receiptId\":\"GR-3\",\"location\":\"no.dots\",\"sku\":\"sku-9\",\"quantity\":1}",
              "{\"receiptId\":\"GR-4\",\"location\":\"wh-1\",\"sku\":\"sku-9\",\"quantity\":1.5}",
              "{\"receiptId\":\"GR-5\",\"location\":\"wh-1\",\"sku\":\"sku-9\",\"quantity\":2,\"colour\":\"red\"}",
              "{\"receiptId\":\"GR-1\",\"location\":\"wh-1\",\"sku\":\"sku-9\",\"quantity\":50}");
      // Over the size limit: refused before it is parsed, valid JSON or not.
      String oversized =
          "{\"receiptId\":\"GR-6\",\"location\":\"wh-1\",\"sku\":\"sku-9\",\"quantity\":1,"
              + "\"reference\":\""
              + "x".repeat(70_000)
              + "\"}";
      // Malformed ones first: they must not block the good receipts behind them. The reused
      // receiptId comes last, after the receipt that owns it.
      rabbit.publish(rabbit.receiptsQueue(), oversized.getBytes(StandardCharsets.UTF_8), json);
      for (String p : poison.subList(0, 4))
        rabbit.publish(rabbit.receiptsQueue(), p.getBytes(StandardCharsets.UTF_8), json);
      for (String g : good)
        rabbit.publish(rabbit.receiptsQueue(), g.getBytes(StandardCharsets.UTF_8), json);
      rabbit.publish(rabbit.receiptsQueue(), poison.get(4).getBytes(StandardCharsets.UTF_8), json);

      List<Delivered> dead =
          rabbit.take(rabbit.deadLetterQueue(), l -> l.size() >= poison.size() + 1, WAIT);
      Map<String, String> reasons = new TreeMap<>();
      for (Delivered d : dead) {
        assertNotNull(d.header(Broker.ERROR_HEADER), "the reason travels with the message");
        reasons.put(
            new String(d.body(), StandardCharsets.UTF_8), d.header(Broker.ERROR_HEADER).toString());
      }
      String oversizedReason = reasons.remove(oversized);
      assertNotNull(oversizedReason, "the oversized receipt was not dead-lettered");
      assertTrue(oversizedReason.contains("at most 65536"), oversizedReason);
      assertEquals(Set.copyOf(poison), reasons.keySet());
      assertTrue(reasons.get(poison.get(0)).contains("not JSON"), reasons.toString());
      assertTrue(reasons.get(poison.get(1)).contains("location"), reasons.toString());
      assertTrue(reasons.get(poison.get(2)).contains("quantity"), reasons.toString());
      assertTrue(reasons.get(poison.get(3)).contains("colour"), reasons.toString());
      assertTrue(reasons.get(poison.get(4)).contains("GR-1"), reasons.toString());

      long deadline = System.nanoTime() + WAIT.toNanos();
      while (rabbit.messageCount(rabbit.receiptsQueue()) > 0 || !onHand(http, 8)) {
        if (System.nanoTime() > deadline)
          throw new AssertionError("receipts not applied: " + http.level("wh-1", "sku-9"));
        Thread.sleep(100);
      }
      Thread.sleep(500); // a second application of GR-1 would show now
      assertEquals(
          8, http.level("wh-1", "sku-9").json().get("onHand").asLong(), "GR-1 once, GR-2 once");
      var history = http.get("/v1/stock/wh-1/sku-9/history").json();
      assertEquals(2, history.get("items").size(), history.toString());
      for (var event : history.get("items")) {
        assertEquals("erp-receipts", event.path("actor").asText(), "a receipt's actor: " + event);
      }
    }
  }

  @Test
  void aReceiptNamingAnIncomingEntryBringsItInAndAnUnknownOneIsDeadLettered() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES);
        Rabbit rabbit = new Rabbit();
        StockholdNode node = TestNodes.start(store, rabbit.config(Rabbit.PORT))) {
      Client http = new Client(node.httpPort());
      assertEquals(
          200,
          http.post(
                  "/v1/stock/wh-2/sku-1/incoming",
                  "{\"incomingId\":\"PO-9\",\"quantity\":10,"
                      + "\"expectedAt\":\"2026-12-20T08:00:00Z\"}")
              .status());
      AMQP.BasicProperties json =
          new AMQP.BasicProperties.Builder().contentType("application/json").build();
      String unknown =
          "{\"receiptId\":\"GR-11\",\"location\":\"wh-2\",\"sku\":\"sku-1\",\"quantity\":1,"
              + "\"incomingId\":\"PO-404\"}";
      rabbit.publish(rabbit.receiptsQueue(), unknown.getBytes(StandardCharsets.UTF_8), json);
      rabbit.publish(
          rabbit.receiptsQueue(),
          ("{\"receiptId\":\"GR-10\",\"location\":\"wh-2\",\"sku\":\"sku-1\",\"quantity\":6,"
                  + "\"incomingId\":\"PO-9\"}")
              .getBytes(StandardCharsets.UTF_8),
          json);
      List<Delivered> dead = rabbit.take(rabbit.deadLetterQueue(), l -> !l.isEmpty(), WAIT);
      assertEquals(unknown, new String(dead.get(0).body(), StandardCharsets.UTF_8));
      String reason = dead.get(0).header(Broker.ERROR_HEADER).toString();
      assertTrue(reason.contains("incoming-not-found"), reason);
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (http.level("wh-2", "sku-1").json().get("onHand").asLong() != 6) {
        if (System.nanoTime() > deadline)
          throw new AssertionError("receipt not applied: " + http.level("wh-2", "sku-1"));
        Thread.sleep(100);
      }
      var level = http.level("wh-2", "sku-1").json();
      assertEquals(4, level.get("incoming").asLong(), "the rest of PO-9 is still on its way");
      var items = http.get("/v1/stock/wh-2/sku-1/history").json().get("items");
      var receipt = items.get(items.size() - 1);
      assertEquals("PO-9", receipt.get("incomingId").asText());
      assertEquals(-4, receipt.get("difference").asLong());
    }
  }

  private static boolean onHand(Client http, long expected) {
    var r = http.level("wh-1", "sku-9");
    return r.status() == 200 && r.json().get("onHand").asLong() == expected;
  }

  private static Predicate<List<Delivered>> types(Set<String> wanted) {
    return got -> {
      Set<String> seen = new TreeSet<>();
      for (Delivered d : got) seen.add(d.properties().getType());
      return seen.containsAll(wanted);
    };
  }

  private static Predicate<List<Delivered>> distinctIds(long count) {
    return got -> got.stream().map(d -> d.properties().getMessageId()).distinct().count() >= count;
  }

  /**
   * Per item, the distinct sequence numbers delivered are exactly 1..(events in the journal), first
   * seen in order.
   */
  private static void assertEachItemUnbroken(List<Delivered> got, Map<String, Long> journal) {
    Map<String, List<Long>> firstSeen = new TreeMap<>();
    Map<String, Set<Long>> seen = new HashMap<>();
    for (Delivered d : got) {
      String id = d.properties().getMessageId();
      String pid = id.substring(0, id.lastIndexOf(':'));
      long seq = Long.parseLong(id.substring(id.lastIndexOf(':') + 1));
      if (seen.computeIfAbsent(pid, k -> new TreeSet<>()).add(seq)) {
        firstSeen.computeIfAbsent(pid, k -> new ArrayList<>()).add(seq);
      }
    }
    assertEquals(journal.keySet(), firstSeen.keySet());
    for (var e : firstSeen.entrySet()) {
      List<Long> seqs = e.getValue();
      for (int i = 0; i < seqs.size(); i++) {
        assertEquals(
            i + 1, seqs.get(i), e.getKey() + " arrived out of order or with a gap: " + seqs);
      }
      assertEquals(journal.get(e.getKey()), (long) seqs.size(), e.getKey());
    }
  }

  private static Map<String, Long> journalEvents(TestStore store) throws Exception {
    Map<String, Long> counts = new TreeMap<>();
    try (Connection c = DriverManager.getConnection(store.jdbcUrl(), "postgres", "");
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT persistence_id, COUNT(*) FROM event_journal "
                    + "WHERE persistence_id LIKE 'StockItem|%' GROUP BY persistence_id")) {
      while (r.next()) counts.put(r.getString(1), r.getLong(2));
    }
    return counts;
  }

  private static JsonSchema schema() throws Exception {
    try (InputStream in =
        ErpRabbitIT.class.getResourceAsStream("/events/inventory-event.schema.json")) {
      return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
    }
  }
}
