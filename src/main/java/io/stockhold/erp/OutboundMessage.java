package io.stockhold.erp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stockhold.events.InventoryEvents;
import io.stockhold.stock.StockEvent;

/**
 * One inventory event as it leaves for the ERP: its id (the journal's {@code
 * <persistenceId>:<seq>}, for de-duplication), its kebab-case type, its routing key, and the JSON
 * body.
 */
public record OutboundMessage(String messageId, String type, String routingKey, byte[] body) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The event as it is published, in the public format ({@link InventoryEvents}). */
  public static OutboundMessage of(String persistenceId, long sequenceNr, StockEvent event) {
    try {
      return new OutboundMessage(
          InventoryEvents.eventId(persistenceId, sequenceNr),
          InventoryEvents.type(event),
          routingKey(event),
          JSON.writeValueAsBytes(InventoryEvents.body(persistenceId, sequenceNr, event)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("an inventory message that does not serialize", e);
    }
  }

  /** {@code inventory.hold-committed.store-7}: locations have no dots, so each is one word. */
  public static String routingKey(StockEvent event) {
    return "inventory." + InventoryEvents.type(event) + "." + event.location();
  }
}
