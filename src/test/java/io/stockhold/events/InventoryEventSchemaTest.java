package io.stockhold.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.stockhold.stock.SellingRules;
import io.stockhold.stock.StockEvent;
import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockLedger;
import io.stockhold.stock.StockRequest;
import io.stockhold.stock.StockState;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Every event type, as decided by the real rules, makes a message valid against the published
 * schema.
 */
class InventoryEventSchemaTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final StockItemId ITEM = new StockItemId("store-7", "sku-123");
  private static final Instant T0 = Instant.parse("2026-11-26T12:00:00.123456Z");

  private static JsonSchema schema() throws Exception {
    try (InputStream in =
        InventoryEventSchemaTest.class.getResourceAsStream("/events/inventory-event.schema.json")) {
      return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
    }
  }

  /** A short life of one item that produces every event type. */
  private static List<StockEvent> everyKindOfEvent() {
    StockState s = StockState.empty(ITEM);
    List<StockEvent> events = new ArrayList<>();
    List<List<StockRequest>> batches =
        List.of(
            List.of(new StockRequest.Adjust(null, null, 10L, null, "receipt", "PO-1")),
            List.of(new StockRequest.ChangePolicy(1, 5, 40)),
            List.of(
                new StockRequest.Reserve("h1", "r1", "web", 3, 60, null),
                new StockRequest.Reserve("h2", "r2", "pos", 2, 60, null),
                new StockRequest.Reserve("h3", "r3", "mobile", 1, 60, null)),
            List.of(
                new StockRequest.Commit("h1"),
                new StockRequest.Release("h3"),
                new StockRequest.Extend("h2", 10)),
            List.of(new StockRequest.Adjust(null, null, null, 1L, "count", null)),
            List.of(
                new StockRequest.RecordOfflineSale("sale-1", "till-3", 2, T0.minusSeconds(600))));
    for (int i = 0; i < batches.size(); i++) {
      StockState.BatchDecision d = s.decideBatch(batches.get(i), T0.plusSeconds(i));
      events.addAll(d.events());
      s = d.after();
    }
    StockState.BatchDecision expiry = s.decideBatch(List.of(), T0.plusSeconds(60));
    events.addAll(expiry.events());
    s = expiry.after();
    // Supply: preorders up to what is incoming, one released while it waits, a receipt of 2 of
    // the 3 ordered that fills the first.
    List<List<StockRequest>> supply =
        List.of(
            List.of(
                new StockRequest.ChangePolicy(
                    0, 0, 0, "ops", new SellingRules(Map.of(), 0, 86_400, 1, true))),
            List.of(new StockRequest.Adjust(null, null, null, 0L, "count", null)),
            List.of(
                new StockRequest.RecordIncoming(
                    "PO-2026-0042", 3, T0.plus(Duration.ofDays(7)), "PO 42", "ops")),
            List.of(
                new StockRequest.Reserve("b1", "rb1", "web", 2, 900, null, "shop", "cust-1", true),
                new StockRequest.Reserve("b2", "rb2", "web", 1, 900, null, "shop", null, true)),
            List.of(new StockRequest.Release("b2", "shop")),
            List.of(
                new StockRequest.Adjust(
                    null, null, 2L, null, "receipt", "GR-7", "erp-receipts", "PO-2026-0042")));
    for (int i = 0; i < supply.size(); i++) {
      StockState.BatchDecision d = s.decideBatch(supply.get(i), T0.plusSeconds(61 + i));
      events.addAll(d.events());
      s = d.after();
    }
    return events;
  }

  @Test
  void everyEventTypeMakesAValidMessage() throws Exception {
    JsonSchema schema = schema();
    String persistenceId = StockLedger.persistenceId(ITEM).id();
    Set<String> types = new TreeSet<>();
    List<StockEvent> events = everyKindOfEvent();
    for (int i = 0; i < events.size(); i++) {
      JsonNode message =
          MAPPER.valueToTree(InventoryEvents.body(persistenceId, i + 1, events.get(i)));
      Set<ValidationMessage> errors = schema.validate(message);
      assertTrue(errors.isEmpty(), message + " -> " + errors);
      types.add(message.get("type").asText());
    }
    assertEquals(
        Set.of(
            "stock-adjusted",
            "policy-changed",
            "hold-placed",
            "hold-committed",
            "hold-released",
            "hold-expired",
            "hold-extended",
            "low-stock-crossed",
            "shortage-detected",
            "offline-sale-recorded",
            "incoming-recorded",
            "hold-backordered",
            "backorder-filled"),
        types);
  }

  @Test
  void supplyFieldsAppearWhereTheyApplyAndValidate() throws Exception {
    JsonSchema schema = schema();
    List<StockEvent> events = everyKindOfEvent();
    List<JsonNode> messages = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      messages.add(
          MAPPER.valueToTree(
              InventoryEvents.body("StockItem|store-7/sku-123", i + 1, events.get(i))));
    }
    JsonNode policy = last(messages, "policy-changed");
    assertEquals(1, policy.path("backorderLimit").asLong(), policy.toString());
    assertTrue(policy.path("preorder").asBoolean(), policy.toString());
    JsonNode receipt = last(messages, "stock-adjusted");
    assertEquals("PO-2026-0042", receipt.path("incomingId").asText(), receipt.toString());
    assertEquals(3, receipt.path("incomingExpected").asLong());
    assertEquals(1, receipt.path("incomingLeft").asLong());
    assertEquals(-1, receipt.path("difference").asLong());
    assertEquals(1, receipt.path("incoming").asLong());
    JsonNode released = last(messages, "hold-released");
    assertEquals(2, released.path("backordered").asLong(), released.toString());
    JsonNode filled = last(messages, "backorder-filled");
    assertEquals("b1", filled.path("holdId").asText(), filled.toString());
    assertEquals(0, filled.path("backordered").asLong());
    ObjectNode half = (ObjectNode) receipt.deepCopy();
    half.remove("incomingLeft");
    assertFalse(schema.validate(half).isEmpty(), "a receipt against an entry says all of it");
    ObjectNode waiting = (ObjectNode) last(messages, "hold-backordered").deepCopy();
    waiting.remove("ttlSeconds");
    assertFalse(schema.validate(waiting).isEmpty(), "a backorder without its hold time");
  }

  private static JsonNode last(List<JsonNode> messages, String type) {
    JsonNode found = null;
    for (JsonNode m : messages) if (m.path("type").asText().equals(type)) found = m;
    if (found == null) throw new AssertionError("no " + type + " in " + messages);
    return found;
  }

  @Test
  void aMessageNamesItsActorWhenTheEventHasOneAndOlderEventsStillValidate() throws Exception {
    JsonSchema schema = schema();
    List<StockEvent> events = everyKindOfEvent();
    StockEvent expired =
        events.stream().filter(e -> e instanceof StockEvent.HoldExpired).findFirst().orElseThrow();
    StockEvent committed =
        events.stream()
            .filter(e -> e instanceof StockEvent.HoldCommitted)
            .findFirst()
            .orElseThrow();
    JsonNode withActor =
        MAPPER.valueToTree(InventoryEvents.body("StockItem|store-7/sku-123", 5, expired));
    assertEquals("system", withActor.path("actor").asText());
    assertTrue(schema.validate(withActor).isEmpty());
    // Requests of a version that knew no actors: the field is left out, and still valid.
    JsonNode older =
        MAPPER.valueToTree(InventoryEvents.body("StockItem|store-7/sku-123", 4, committed));
    assertTrue(older.path("actor").isMissingNode(), older.toString());
    assertTrue(schema.validate(older).isEmpty());
    ObjectNode empty = ((ObjectNode) withActor.deepCopy()).put("actor", "");
    assertTrue(!schema.validate(empty).isEmpty(), "an empty actor is no actor");
  }

  @Test
  void theSchemaRefusesAMessageThatBreaksIt() throws Exception {
    JsonSchema schema = schema();
    StockEvent placed =
        everyKindOfEvent().stream()
            .filter(e -> e instanceof StockEvent.HoldPlaced)
            .findFirst()
            .orElseThrow();
    ObjectNode message =
        MAPPER.valueToTree(InventoryEvents.body("StockItem|store-7/sku-123", 3, placed));
    message.remove("quantity");
    assertFalse(schema.validate(message).isEmpty(), "a hold without a quantity");
    ObjectNode late =
        MAPPER.valueToTree(InventoryEvents.body("StockItem|store-7/sku-123", 3, placed));
    late.put("occurredAt", "2026-11-26 12:00");
    assertFalse(schema.validate(late).isEmpty(), "a time that is not RFC 3339 with milliseconds");
  }
}
