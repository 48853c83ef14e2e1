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
import io.stockhold.stock.Supply;
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

  /** Where the item's transfer goes. */
  private static final StockItemId DEST = new StockItemId("store-9", "sku-123");

  private static final Instant T0 = Instant.parse("2026-11-26T12:00:00.123456Z");

  private static JsonSchema schema() throws Exception {
    try (InputStream in =
        InventoryEventSchemaTest.class.getResourceAsStream("/events/inventory-event.schema.json")) {
      return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
    }
  }

  /**
   * A short life of one item that produces every event type, and of the item its transfer goes to
   * (its events last).
   */
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
    // A transfer: 5 of the units free here ship to store-9, which has them announced as incoming
    // (as the transfer's saga does) and receives 3 of them: a shortfall of 2.
    List<List<StockRequest>> shipping =
        List.of(
            List.of(new StockRequest.Adjust(null, null, 6L, null, "receipt", "GR-8")),
            List.of(new StockRequest.ShipTransfer("T-7", DEST.location(), 5, "ops")));
    for (int i = 0; i < shipping.size(); i++) {
      StockState.BatchDecision d = s.decideBatch(shipping.get(i), T0.plusSeconds(70 + i));
      events.addAll(d.events());
      s = d.after();
    }
    StockState there = StockState.empty(DEST);
    List<List<StockRequest>> receiving =
        List.of(
            List.of(
                new StockRequest.RecordIncoming(
                    Supply.transferEntry("T-7"),
                    5,
                    T0.plusSeconds(71),
                    "transfer from " + ITEM.location(),
                    "ops")),
            List.of(new StockRequest.ReceiveTransfer("T-7", ITEM.location(), 3, "ops")));
    for (int i = 0; i < receiving.size(); i++) {
      StockState.BatchDecision d = there.decideBatch(receiving.get(i), T0.plusSeconds(72 + i));
      events.addAll(d.events());
      there = d.after();
    }
    return events;
  }

  /** The message of {@code event}, as the ERP gets it, with the id of the item it happened to. */
  private static JsonNode message(long sequenceNr, StockEvent event) {
    String persistenceId =
        StockLedger.persistenceId(new StockItemId(event.location(), event.sku())).id();
    return MAPPER.valueToTree(InventoryEvents.body(persistenceId, sequenceNr, event));
  }

  @Test
  void everyEventTypeMakesAValidMessage() throws Exception {
    JsonSchema schema = schema();
    Set<String> types = new TreeSet<>();
    List<StockEvent> events = everyKindOfEvent();
    for (int i = 0; i < events.size(); i++) {
      JsonNode message = message(i + 1, events.get(i));
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
            "backorder-filled",
            "transfer-shipped",
            "transfer-received"),
        types);
  }

  @Test
  void transferFieldsAppearWhereTheyApplyAndValidate() throws Exception {
    JsonSchema schema = schema();
    List<StockEvent> events = everyKindOfEvent();
    List<JsonNode> messages = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) messages.add(message(i + 1, events.get(i)));
    JsonNode shipped = last(messages, "transfer-shipped");
    assertEquals("store-7", shipped.path("location").asText(), shipped.toString());
    assertEquals("T-7", shipped.path("transferId").asText());
    assertEquals("store-9", shipped.path("to").asText());
    assertEquals(5, shipped.path("quantity").asLong());
    assertEquals(3, shipped.path("onHand").asLong(), "8 on hand, 5 shipped");
    assertEquals("ops", shipped.path("actor").asText());
    JsonNode received = last(messages, "transfer-received");
    assertTrue(
        received.path("eventId").asText().startsWith("StockItem|store-9/sku-123:"),
        received.toString());
    assertEquals("T-7", received.path("transferId").asText());
    assertEquals("store-7", received.path("from").asText());
    assertEquals(5, received.path("shipped").asLong());
    assertEquals(3, received.path("quantity").asLong());
    assertEquals(2, received.path("shortfall").asLong());
    assertEquals(0, received.path("incoming").asLong(), "the transfer's entry closed");
    assertEquals(3, received.path("onHand").asLong());
    JsonNode announced = last(messages, "incoming-recorded");
    assertEquals("transfer:T-7", announced.path("incomingId").asText(), announced.toString());
    ObjectNode noShortfall = (ObjectNode) received.deepCopy();
    noShortfall.remove("shortfall");
    assertFalse(
        schema.validate(noShortfall).isEmpty(), "a receipt of a transfer says its shortfall");
    ObjectNode nowhere = (ObjectNode) shipped.deepCopy();
    nowhere.remove("to");
    assertFalse(schema.validate(nowhere).isEmpty(), "a transfer shipped to no location");
    ObjectNode badId = ((ObjectNode) shipped.deepCopy()).put("transferId", "has space");
    assertFalse(schema.validate(badId).isEmpty(), "a transfer id outside its pattern");
  }

  @Test
  void supplyFieldsAppearWhereTheyApplyAndValidate() throws Exception {
    JsonSchema schema = schema();
    List<StockEvent> events = everyKindOfEvent();
    List<JsonNode> messages = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) messages.add(message(i + 1, events.get(i)));
    JsonNode policy = last(messages, "policy-changed");
    assertEquals(1, policy.path("backorderLimit").asLong(), policy.toString());
    assertTrue(policy.path("preorder").asBoolean(), policy.toString());
    JsonNode receipt = null;
    for (JsonNode m : messages) if (m.has("incomingId") && m.has("delta")) receipt = m;
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
