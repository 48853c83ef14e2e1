package io.stockhold.erp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.rabbitmq.client.AMQP;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.stockhold.node.StockholdNode;
import io.stockhold.testing.Client;
import io.stockhold.testing.Rabbit;
import io.stockhold.testing.Rabbit.Delivered;
import io.stockhold.testing.TestNodes;
import io.stockhold.testing.TestStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /v1/asyncapi.yaml} against a node with RabbitMQ: the document names the exchange and
 * queues the node uses by default, and the messages that really cross the broker — events out,
 * receipts in, a dead letter — are what its schemas say.
 */
class AsyncApiIT {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theDocumentDescribesTheMessagesThatReallyCrossTheBroker() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES);
        Rabbit rabbit = new Rabbit();
        StockholdNode node = TestNodes.start(store, rabbit.config(Rabbit.PORT))) {
      Client anybody = Client.anonymous(node.httpPort());
      Client.Response served = anybody.get("/v1/asyncapi.yaml");
      assertEquals(200, served.status(), "no key needed");
      JsonNode doc = new ObjectMapper(new YAMLFactory()).readTree(served.body());
      assertEquals("3.0.0", doc.path("asyncapi").asText());

      Config defaults = ConfigFactory.load().getConfig("stockhold.erp");
      assertEquals(
          defaults.getString("exchange"), doc.at("/channels/inventoryEvents/address").asText());
      assertEquals(
          defaults.getString("receipts-queue"), doc.at("/channels/receipts/address").asText());
      assertEquals(
          defaults.getString("dead-letter-queue"),
          doc.at("/channels/deadLetters/address").asText());
      for (JsonNode op : doc.path("operations")) {
        String channel = op.at("/channel/$ref").asText();
        assertTrue(channel.startsWith("#/channels/"), channel);
        assertFalse(doc.at(channel.substring(1)).isMissingNode(), channel + " exists");
      }

      JsonSchema event = schema(doc.at("/components/messages/inventoryEvent/payload/schema"));
      JsonSchema receipt = schema(doc.at("/components/messages/receipt/payload/schema"));
      JsonSchema deadLetterHeaders =
          schema(doc.at("/components/messages/deadLetter/headers/schema"));

      // events out: a stocked item, an incoming order, a hold, a receipt against the order
      Client http = new Client(node.httpPort());
      http.post(
          "/v1/stock/store-7/lamp/incoming",
          "{\"incomingId\":\"PO-1\",\"quantity\":4,\"expectedAt\":\"2026-12-20T08:00:00Z\"}");
      http.stock("store-7", "lamp", 5);
      http.reserve("web", "store-7", "lamp", 2, null, null);

      // receipts in: one that applies, one the item cannot (an entry it does not have)
      String good =
          "{\"receiptId\":\"GR-1\",\"location\":\"store-7\",\"sku\":\"lamp\",\"quantity\":3,"
              + "\"incomingId\":\"PO-1\"}";
      String unknownEntry =
          "{\"receiptId\":\"GR-2\",\"location\":\"store-7\",\"sku\":\"lamp\",\"quantity\":1,"
              + "\"incomingId\":\"PO-404\"}";
      for (String body : List.of(good, unknownEntry)) {
        assertEquals(List.of(), List.copyOf(receipt.validate(JSON.readTree(body))), body);
      }
      assertFalse(
          receipt.validate(JSON.readTree("{\"receiptId\":\"GR-3\",\"quantity\":1.5}")).isEmpty(),
          "the receipt schema refuses what the node dead-letters as malformed");
      AMQP.BasicProperties json =
          new AMQP.BasicProperties.Builder().contentType("application/json").build();
      rabbit.publish(rabbit.receiptsQueue(), good.getBytes(StandardCharsets.UTF_8), json);
      rabbit.publish(rabbit.receiptsQueue(), unknownEntry.getBytes(StandardCharsets.UTF_8), json);

      List<Delivered> dead = rabbit.take(rabbit.deadLetterQueue(), l -> !l.isEmpty(), WAIT);
      assertEquals(unknownEntry, new String(dead.get(0).body(), StandardCharsets.UTF_8));
      Object reason = dead.get(0).header(Broker.ERROR_HEADER);
      assertNotNull(reason);
      assertEquals(
          List.of(),
          List.copyOf(
              deadLetterHeaders.validate(
                  JSON.valueToTree(java.util.Map.of(Broker.ERROR_HEADER, reason.toString())))));

      // every event published meanwhile, among them the receipt's, is what the schema says
      List<Delivered> events =
          rabbit.take(
              rabbit.erpQueue(),
              l ->
                  l.stream()
                      .anyMatch(
                          d ->
                              d.json().path("incomingId").asText().equals("PO-1")
                                  && d.json().path("type").asText().equals("stock-adjusted")),
              WAIT);
      assertTrue(events.size() >= 4, events.size() + " events");
      for (Delivered d : events) {
        assertEquals(List.of(), List.copyOf(event.validate(d.json())), d.json().toString());
        assertEquals(d.json().path("eventId").asText(), d.properties().getMessageId());
      }

      // the RabbitMQ client's own measurements, by what its connections are for
      String metrics = new Client(node.managementPort()).get("/metrics").body();
      assertTrue(
          total(metrics, "rabbitmq_published_total{use=\"events\"}") >= events.size(), metrics);
      assertTrue(total(metrics, "rabbitmq_consumed_total{use=\"receipts\"}") >= 2);
    }
  }

  private static double total(String metrics, String series) {
    return metrics
        .lines()
        .filter(l -> l.startsWith(series + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1)))
        .findFirst()
        .orElseThrow(() -> new AssertionError(series + " not in /metrics"));
  }

  private static JsonSchema schema(JsonNode node) {
    assertFalse(node.isMissingNode());
    return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(node);
  }
}
