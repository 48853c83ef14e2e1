package io.stockhold.stock;

import io.stockhold.CborSerializable;
import java.time.Instant;
import java.util.Map;

/**
 * What happened to a stock item. Every event carries the item and its quantities <em>after</em> the
 * event, and the time it was decided. The class name is the serializer's manifest: renaming one
 * needs a journal migration.
 */
public sealed interface StockEvent extends CborSerializable {

  String location();

  String sku();

  long onHand();

  long reserved();

  long available();

  Instant occurredAt();

  /**
   * Who caused it: an API key's id, {@code master}, {@code anonymous} (checking off), {@code
   * erp-receipts} (a goods receipt) or {@code system} (an expiry); a signal such as {@code
   * LowStockCrossed} carries the actor of the change that caused it. Null in events journaled
   * before events named their actor.
   */
  String actor();

  /**
   * A count ({@code setOnHand}) is journaled as the delta it implied. A receipt against an incoming
   * entry names it ({@code incomingId}), with the units the entry still expected before ({@code
   * incomingExpected}) and after ({@code incomingLeft}, 0 once closed): {@code delta -
   * incomingExpected} is the difference, more than expected when positive; {@code incoming} is the
   * item's total still incoming after. Null otherwise.
   */
  record StockAdjusted(
      String location,
      String sku,
      long delta,
      String reason,
      String reference,
      String adjustmentId,
      String fingerprint,
      long onHand,
      long reserved,
      long available,
      Instant occurredAt,
      String actor,
      String incomingId,
      Long incomingExpected,
      Long incomingLeft,
      Long incoming)
      implements StockEvent {
    public StockAdjusted(
        String location,
        String sku,
        long delta,
        String reason,
        String reference,
        String adjustmentId,
        String fingerprint,
        long onHand,
        long reserved,
        long available,
        Instant occurredAt,
        String actor) {
      this(
          location,
          sku,
          delta,
          reason,
          reference,
          adjustmentId,
          fingerprint,
          onHand,
          reserved,
          available,
          occurredAt,
          actor,
          null,
          null,
          null,
          null);
    }

    public StockAdjusted(
        String location,
        String sku,
        long delta,
        String reason,
        String reference,
        String adjustmentId,
        String fingerprint,
        long onHand,
        long reserved,
        long available,
        Instant occurredAt) {
      this(
          location,
          sku,
          delta,
          reason,
          reference,
          adjustmentId,
          fingerprint,
          onHand,
          reserved,
          available,
          occurredAt,
          null);
    }
  }

  /**
   * {@code channelReserve}, {@code maxPerCustomer}, {@code customerWindowSeconds}, {@code
   * backorderLimit} and {@code preorder}: null in events journaled before items had them (none,
   * then).
   */
  record PolicyChanged(
      String location,
      String sku,
      long safetyStock,
      long reorderPoint,
      long reorderQuantity,
      long onHand,
      long reserved,
      long available,
      Instant occurredAt,
      String actor,
      Map<String, Long> channelReserve,
      Long maxPerCustomer,
      Long customerWindowSeconds,
      Long backorderLimit,
      Boolean preorder)
      implements StockEvent {
    public PolicyChanged(
        String location,
        String sku,
        long safetyStock,
        long reorderPoint,
        long reorderQuantity,
        long onHand,
        long reserved,
        long available,
        Instant occurredAt,
        String actor,
        Map<String, Long> channelReserve,
        Long maxPerCustomer,
        Long customerWindowSeconds) {
      this(
          location,
          sku,
          safetyStock,
          reorderPoint,
          reorderQuantity,
          onHand,
          reserved,
          available,
          occurredAt,
          actor,
          channelReserve,
          maxPerCustomer,
          customerWindowSeconds,
          null,
          null);
    }

    public PolicyChanged(
        String location,
        String sku,
        long safetyStock,
        long reorderPoint,
        long reorderQuantity,
        long onHand,
        long reserved,
        long available,
        Instant occurredAt,
        String actor) {
      this(
          location,
          sku,
          safetyStock,
          reorderPoint,
          reorderQuantity,
          onHand,
          reserved,
          available,
          occurredAt,
          actor,
          null,
          null,
          null);
    }

    public PolicyChanged(
        String location,
        String sku,
        long safetyStock,
        long reorderPoint,
        long reorderQuantity,
        long onHand,
        long reserved,
        long available,
        Instant occurredAt) {
      this(
          location,
          sku,
          safetyStock,
          reorderPoint,
          reorderQuantity,
          onHand,
          reserved,
          available,
          occurredAt,
          null);
    }

    /** The channel, customer and backorder rules this event set. */
    public SellingRules rules() {
      return SellingRules.of(
          channelReserve, maxPerCustomer, customerWindowSeconds, backorderLimit, preorder);
    }
  }

  /**
   * {@code actor} placed the hold and owns it: a key's id, {@code master} or {@code anonymous};
   * null in events journaled before keys existed (the master's, then). {@code customerId}: whom the
   * units are for, when the request said (null otherwise, and in older events).
   */
  record HoldPlaced(
      String location,
      String sku,
      String holdId,
      String reservationId,
      String channel,
      long quantity,
      Instant expiresAt,
      String fingerprint,
      long onHand,
      long reserved,
      long available,
      Instant occurredAt,
      String actor,
      String customerId)
      implements StockEvent {
    public HoldPlaced(
        String location,
        String sku,
        String holdId,
        String reservationId,
        String channel,
        long quantity,
        Instant expiresAt,
        String fingerprint,
        long onHand,
        long reserved,
        long available,
        Instant occurredAt,
        String actor) {
      this(
          location,
          sku,
          holdId,
          reservationId,
          channel,
          quantity,
          expiresAt,
          fingerprint,
          onHand,
          reserved,
          available,
          occurredAt,
          actor,
          null);
    }

    public HoldPlaced(
        String location,
        String sku,
        String holdId,
        String reservationId,
        String channel,
        long quantity,
        Instant expiresAt,
        String fingerprint,
        long onHand,
        long reserved,
        long available,
        Instant occurredAt) {
      this(
          location,
          sku,
          holdId,
          reservationId,
          channel,
          quantity,
          expiresAt,
          fingerprint,
          onHand,
          reserved,
          available,
          occurredAt,
          null);
    }
  }

  record HoldCommitted(
      String location,
      String sku,
      String holdId,
      String reservationId,
      long quantity,
      long onHand,
      long reserved,
      long available,
      Instant occurredAt,
      String actor)
      implements StockEvent {
    public HoldCommitted(
        String location,
        String sku,
        String holdId,
        String reservationId,
        long quantity,
        long onHand,
        long reserved,
        long available,
        Instant occurredAt) {
      this(
          location,
          sku,
          holdId,
          reservationId,
          quantity,
          onHand,
          reserved,
          available,
          occurredAt,
          null);
    }
  }

  /**
   * {@code backordered}: when the hold was a backorder still waiting, the item's waiting units
   * after it left the queue; null for a held one (and in events journaled before backorders).
   */
  record HoldReleased(
      String location,
      String sku,
      String holdId,
      String reservationId,
      long quantity,
      long onHand,
      long reserved,
      long available,
      Instant occurredAt,
      String actor,
      Long backordered)
      implements StockEvent {
    public HoldReleased(
        String location,
        String sku,
        String holdId,
        String reservationId,
        long quantity,
        long onHand,
        long reserved,
        long available,
        Instant occurredAt,
        String actor) {
      this(
          location,
          sku,
          holdId,
          reservationId,
          quantity,
          onHand,
          reserved,
          available,
          occurredAt,
          actor,
          null);
    }

    public HoldReleased(
        String location,
        String sku,
        String holdId,
        String reservationId,
        long quantity,
        long onHand,
        long reserved,
        long available,
        Instant occurredAt) {
      this(
          location,
          sku,
          holdId,
          reservationId,
          quantity,
          onHand,
          reserved,
          available,
          occurredAt,
          null);
    }
  }

  record HoldExpired(
      String location,
      String sku,
      String holdId,
      String reservationId,
      long quantity,
      long onHand,
      long reserved,
      long available,
      Instant occurredAt,
      String actor)
      implements StockEvent {
    public HoldExpired(
        String location,
        String sku,
        String holdId,
        String reservationId,
        long quantity,
        long onHand,
        long reserved,
        long available,
        Instant occurredAt) {
      this(
          location,
          sku,
          holdId,
          reservationId,
          quantity,
          onHand,
          reserved,
          available,
          occurredAt,
          null);
    }
  }

  record HoldExtended(
      String location,
      String sku,
      String holdId,
      String reservationId,
      Instant expiresAt,
      long onHand,
      long reserved,
      long available,
      Instant occurredAt,
      String actor)
      implements StockEvent {
    public HoldExtended(
        String location,
        String sku,
        String holdId,
        String reservationId,
        Instant expiresAt,
        long onHand,
        long reserved,
        long available,
        Instant occurredAt) {
      this(
          location,
          sku,
          holdId,
          reservationId,
          expiresAt,
          onHand,
          reserved,
          available,
          occurredAt,
          null);
    }
  }

  /** Available fell to or below the reorder point; {@code reorderQuantity} is the suggestion. */
  record LowStockCrossed(
      String location,
      String sku,
      long reorderPoint,
      long reorderQuantity,
      long onHand,
      long reserved,
      long available,
      Instant occurredAt,
      String actor)
      implements StockEvent {
    public LowStockCrossed(
        String location,
        String sku,
        long reorderPoint,
        long reorderQuantity,
        long onHand,
        long reserved,
        long available,
        Instant occurredAt) {
      this(
          location,
          sku,
          reorderPoint,
          reorderQuantity,
          onHand,
          reserved,
          available,
          occurredAt,
          null);
    }
  }

  /**
   * The books hold more than is physically there ({@code onHand < reserved}) by {@code shortBy}.
   */
  record ShortageDetected(
      String location,
      String sku,
      long shortBy,
      long onHand,
      long reserved,
      long available,
      Instant occurredAt,
      String actor)
      implements StockEvent {
    public ShortageDetected(
        String location,
        String sku,
        long shortBy,
        long onHand,
        long reserved,
        long available,
        Instant occurredAt) {
      this(location, sku, shortBy, onHand, reserved, available, occurredAt, null);
    }
  }

  /**
   * A sale made at a POS terminal while it was offline, recorded when the terminal came back. It
   * takes the units off the books even when they were not there: {@code onHand} may go negative.
   */
  record OfflineSaleRecorded(
      String location,
      String sku,
      String saleId,
      String terminalId,
      long quantity,
      Instant soldAt,
      long onHand,
      long reserved,
      long available,
      Instant occurredAt,
      String actor)
      implements StockEvent {
    public OfflineSaleRecorded(
        String location,
        String sku,
        String saleId,
        String terminalId,
        long quantity,
        Instant soldAt,
        long onHand,
        long reserved,
        long available,
        Instant occurredAt) {
      this(
          location,
          sku,
          saleId,
          terminalId,
          quantity,
          soldAt,
          onHand,
          reserved,
          available,
          occurredAt,
          null);
    }
  }

  /**
   * Units on their way to the item ({@code incomingId}: a purchase order, a transfer in), expected
   * at {@code expectedAt}; {@code incoming} is the item's total after.
   */
  record IncomingRecorded(
      String location,
      String sku,
      String incomingId,
      long quantity,
      Instant expectedAt,
      String reference,
      long incoming,
      long onHand,
      long reserved,
      long available,
      Instant occurredAt,
      String actor)
      implements StockEvent {}

  /**
   * A hold the item could not fill, accepted to wait for units in arrival order; it has no deadline
   * until it is filled ({@link BackorderFilled}), then {@code ttlSeconds}. {@code backordered}: the
   * item's waiting units after. Released like any hold ({@link HoldReleased}).
   */
  record HoldBackordered(
      String location,
      String sku,
      String holdId,
      String reservationId,
      String channel,
      long quantity,
      long ttlSeconds,
      String fingerprint,
      long backordered,
      long onHand,
      long reserved,
      long available,
      Instant occurredAt,
      String actor,
      String customerId)
      implements StockEvent {}

  /**
   * A backorder's turn came and its units were there: it is held until {@code expiresAt}. {@code
   * actor}: the one whose change brought the units (a receipt, a release), or {@code system}.
   */
  record BackorderFilled(
      String location,
      String sku,
      String holdId,
      String reservationId,
      long quantity,
      Instant expiresAt,
      long backordered,
      long onHand,
      long reserved,
      long available,
      Instant occurredAt,
      String actor)
      implements StockEvent {}

  /** Units left for another location ({@code to}) as transfer {@code transferId}. */
  record TransferShipped(
      String location,
      String sku,
      String transferId,
      String to,
      long quantity,
      long onHand,
      long reserved,
      long available,
      Instant occurredAt,
      String actor)
      implements StockEvent {}

  /**
   * Transfer {@code transferId}'s units arrived from {@code from}: {@code quantity} of the {@code
   * shipped} went on hand, {@code shortfall} did not arrive. {@code incoming}: the item's total
   * still incoming after.
   */
  record TransferReceived(
      String location,
      String sku,
      String transferId,
      String from,
      long shipped,
      long quantity,
      long shortfall,
      long incoming,
      long onHand,
      long reserved,
      long available,
      Instant occurredAt,
      String actor)
      implements StockEvent {}
}
