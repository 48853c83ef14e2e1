package io.stockhold.events;

import io.stockhold.stock.SellingRules;
import io.stockhold.stock.StockEvent;
import io.stockhold.stock.StockEvent.BackorderFilled;
import io.stockhold.stock.StockEvent.HoldBackordered;
import io.stockhold.stock.StockEvent.HoldCommitted;
import io.stockhold.stock.StockEvent.HoldExpired;
import io.stockhold.stock.StockEvent.HoldExtended;
import io.stockhold.stock.StockEvent.HoldPlaced;
import io.stockhold.stock.StockEvent.HoldReleased;
import io.stockhold.stock.StockEvent.IncomingRecorded;
import io.stockhold.stock.StockEvent.LowStockCrossed;
import io.stockhold.stock.StockEvent.OfflineSaleRecorded;
import io.stockhold.stock.StockEvent.PolicyChanged;
import io.stockhold.stock.StockEvent.ShortageDetected;
import io.stockhold.stock.StockEvent.StockAdjusted;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The public format of an inventory event, as the outside world reads it (the ERP's messages, an
 * item's history): the journal's own id, the kebab-case type, the quantities after the event, and
 * the event's fields. {@code quantity} is always a magnitude; {@code delta} is signed. Its JSON
 * Schema is {@code src/main/resources/events/inventory-event.schema.json}.
 */
public final class InventoryEvents {

  /** Bumped when a field changes meaning or disappears; adding a field keeps it. */
  public static final int SCHEMA_VERSION = 1;

  private static final DateTimeFormatter RFC3339_MILLIS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private InventoryEvents() {}

  /** Each event class's type, worked out once rather than by a regex for every event published. */
  private static final ClassValue<String> TYPES =
      new ClassValue<>() {
        @Override
        protected String computeValue(Class<?> type) {
          return type.getSimpleName()
              .replaceAll("([a-z])([A-Z])", "$1-$2")
              .toLowerCase(Locale.ROOT);
        }
      };

  /** {@code hold-committed} for {@code HoldCommitted}. */
  public static String type(StockEvent event) {
    return TYPES.get(event.getClass());
  }

  public static String eventId(String persistenceId, long sequenceNr) {
    return persistenceId + ":" + sequenceNr;
  }

  public static String time(Instant instant) {
    return RFC3339_MILLIS.format(instant);
  }

  /** The message body, fields in a stable order. */
  public static Map<String, Object> body(String persistenceId, long sequenceNr, StockEvent event) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("eventId", eventId(persistenceId, sequenceNr));
    m.put("sequenceNr", sequenceNr);
    m.put("type", type(event));
    m.put("occurredAt", time(event.occurredAt()));
    m.put("location", event.location());
    m.put("sku", event.sku());
    m.put("onHand", event.onHand());
    m.put("reserved", event.reserved());
    m.put("available", event.available());
    m.put("schemaVersion", SCHEMA_VERSION);
    // Events journaled before events named their actor have none: the field is left out.
    if (event.actor() != null) m.put("actor", event.actor());
    switch (event) {
      case StockAdjusted e -> {
        m.put("delta", e.delta());
        m.put("reason", e.reason());
        if (e.reference() != null) m.put("reference", e.reference());
        if (e.incomingId() != null) {
          m.put("incomingId", e.incomingId());
          m.put("incomingExpected", e.incomingExpected());
          m.put("incomingLeft", e.incomingLeft());
          // more than expected when positive; fewer (the rest still on its way) when negative
          m.put("difference", e.delta() - e.incomingExpected());
          m.put("incoming", e.incoming());
        }
      }
      case PolicyChanged e -> {
        m.put("safetyStock", e.safetyStock());
        m.put("reorderPoint", e.reorderPoint());
        m.put("reorderQuantity", e.reorderQuantity());
        SellingRules rules = e.rules();
        if (rules.fencesChannels()) m.put("channelReserve", rules.channelReserve());
        if (rules.limitsCustomers()) {
          m.put("maxPerCustomer", rules.maxPerCustomer());
          m.put("customerWindowSeconds", rules.customerWindowSeconds());
        }
        if (rules.takesBackorders()) {
          m.put("backorderLimit", rules.backorderLimit());
          m.put("preorder", rules.preorder());
        }
      }
      case HoldPlaced e -> {
        hold(m, e.holdId(), e.reservationId(), e.quantity());
        m.put("channel", e.channel());
        m.put("expiresAt", time(e.expiresAt()));
        if (e.customerId() != null) m.put("customerId", e.customerId());
      }
      case HoldCommitted e -> hold(m, e.holdId(), e.reservationId(), e.quantity());
      case HoldReleased e -> {
        hold(m, e.holdId(), e.reservationId(), e.quantity());
        if (e.backordered() != null) m.put("backordered", e.backordered());
      }
      case HoldExpired e -> hold(m, e.holdId(), e.reservationId(), e.quantity());
      case HoldExtended e -> {
        m.put("holdId", e.holdId());
        m.put("reservationId", e.reservationId());
        m.put("expiresAt", time(e.expiresAt()));
      }
      case LowStockCrossed e -> {
        m.put("reorderPoint", e.reorderPoint());
        m.put("reorderQuantity", e.reorderQuantity());
      }
      case ShortageDetected e -> m.put("shortBy", e.shortBy());
      case IncomingRecorded e -> {
        m.put("incomingId", e.incomingId());
        m.put("quantity", e.quantity());
        m.put("expectedAt", time(e.expectedAt()));
        if (e.reference() != null) m.put("reference", e.reference());
        m.put("incoming", e.incoming());
      }
      case HoldBackordered e -> {
        hold(m, e.holdId(), e.reservationId(), e.quantity());
        m.put("channel", e.channel());
        m.put("ttlSeconds", e.ttlSeconds());
        m.put("backordered", e.backordered());
        if (e.customerId() != null) m.put("customerId", e.customerId());
      }
      case StockEvent.TransferShipped e -> {
        m.put("transferId", e.transferId());
        m.put("to", e.to());
        m.put("quantity", e.quantity());
      }
      case StockEvent.TransferReceived e -> {
        m.put("transferId", e.transferId());
        m.put("from", e.from());
        m.put("shipped", e.shipped());
        m.put("quantity", e.quantity());
        m.put("shortfall", e.shortfall());
        m.put("incoming", e.incoming());
      }
      case BackorderFilled e -> {
        hold(m, e.holdId(), e.reservationId(), e.quantity());
        m.put("expiresAt", time(e.expiresAt()));
        m.put("backordered", e.backordered());
      }
      case OfflineSaleRecorded e -> {
        m.put("saleId", e.saleId());
        m.put("terminalId", e.terminalId());
        m.put("quantity", e.quantity());
        m.put("soldAt", time(e.soldAt()));
      }
    }
    return m;
  }

  private static void hold(
      Map<String, Object> m, String holdId, String reservationId, long quantity) {
    m.put("holdId", holdId);
    m.put("reservationId", reservationId);
    m.put("quantity", quantity);
  }
}
