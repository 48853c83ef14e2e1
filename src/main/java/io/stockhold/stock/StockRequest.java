package io.stockhold.stock;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.stockhold.CborSerializable;
import java.time.Instant;

/**
 * A change asked of one stock item. Requests are decided one at a time, in arrival order, by {@link
 * StockState#decideBatch}; each carries the id that makes a retry harmless.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
@JsonSubTypes({
  @JsonSubTypes.Type(value = StockRequest.Reserve.class, name = "reserve"),
  @JsonSubTypes.Type(value = StockRequest.Commit.class, name = "commit"),
  @JsonSubTypes.Type(value = StockRequest.Release.class, name = "release"),
  @JsonSubTypes.Type(value = StockRequest.Extend.class, name = "extend"),
  @JsonSubTypes.Type(value = StockRequest.Adjust.class, name = "adjust"),
  @JsonSubTypes.Type(value = StockRequest.ChangePolicy.class, name = "change-policy"),
  @JsonSubTypes.Type(value = StockRequest.RecordOfflineSale.class, name = "record-offline-sale"),
  @JsonSubTypes.Type(value = StockRequest.RecordIncoming.class, name = "record-incoming"),
  @JsonSubTypes.Type(value = StockRequest.ShipTransfer.class, name = "ship-transfer"),
  @JsonSubTypes.Type(value = StockRequest.ReceiveTransfer.class, name = "receive-transfer")
})
public sealed interface StockRequest extends CborSerializable {

  /** Who asks: an API key's id, {@code master}, {@code anonymous}, {@code erp-receipts}. */
  String actor();

  /**
   * Hold {@code quantity} units for {@code ttlSeconds}. {@code fingerprint} identifies the request
   * body behind an idempotency key (null without one): the same hold id with another fingerprint is
   * a reused key. {@code actor}: who asks (a key's id, {@code master}, {@code anonymous}); the hold
   * is theirs (null for a request of a version that knew no keys). {@code customerId}: whom the
   * units are for, counted against the item's per-customer limit (null: not said). {@code
   * allowBackorder}: when the item cannot fill it now, the hold may wait for units (within the
   * item's backorder rules) instead of being refused.
   */
  record Reserve(
      String holdId,
      String reservationId,
      String channel,
      long quantity,
      long ttlSeconds,
      String fingerprint,
      String actor,
      String customerId,
      boolean allowBackorder)
      implements StockRequest {
    public Reserve(
        String holdId,
        String reservationId,
        String channel,
        long quantity,
        long ttlSeconds,
        String fingerprint,
        String actor,
        String customerId) {
      this(
          holdId,
          reservationId,
          channel,
          quantity,
          ttlSeconds,
          fingerprint,
          actor,
          customerId,
          false);
    }

    public Reserve(
        String holdId,
        String reservationId,
        String channel,
        long quantity,
        long ttlSeconds,
        String fingerprint,
        String actor) {
      this(holdId, reservationId, channel, quantity, ttlSeconds, fingerprint, actor, null);
    }

    public Reserve(
        String holdId,
        String reservationId,
        String channel,
        long quantity,
        long ttlSeconds,
        String fingerprint) {
      this(holdId, reservationId, channel, quantity, ttlSeconds, fingerprint, null, null);
    }

    public Reserve {
      if (quantity < 1)
        throw new IllegalArgumentException("a hold is of at least 1 unit, not " + quantity);
      if (ttlSeconds < 1)
        throw new IllegalArgumentException("a hold lasts at least 1 s, not " + ttlSeconds);
    }
  }

  record Commit(String holdId, String actor) implements StockRequest {
    public Commit(String holdId) {
      this(holdId, null);
    }
  }

  record Release(String holdId, String actor) implements StockRequest {
    public Release(String holdId) {
      this(holdId, null);
    }
  }

  record Extend(String holdId, long ttlSeconds, String actor) implements StockRequest {
    public Extend(String holdId, long ttlSeconds) {
      this(holdId, ttlSeconds, null);
    }

    public Extend {
      if (ttlSeconds < 1)
        throw new IllegalArgumentException("a hold lasts at least 1 s, not " + ttlSeconds);
    }
  }

  /**
   * Exactly one of {@code delta} (non-zero) and {@code setOnHand} (a count, ≥ 0) is set. {@code
   * adjustmentId} is null when the caller sent no idempotency key. {@code incomingId}: the incoming
   * entry a receipt brings in (a positive delta), or null.
   */
  record Adjust(
      String adjustmentId,
      String fingerprint,
      Long delta,
      Long setOnHand,
      String reason,
      String reference,
      String actor,
      String incomingId)
      implements StockRequest {
    public Adjust(
        String adjustmentId,
        String fingerprint,
        Long delta,
        Long setOnHand,
        String reason,
        String reference,
        String actor) {
      this(adjustmentId, fingerprint, delta, setOnHand, reason, reference, actor, null);
    }

    public Adjust(
        String adjustmentId,
        String fingerprint,
        Long delta,
        Long setOnHand,
        String reason,
        String reference) {
      this(adjustmentId, fingerprint, delta, setOnHand, reason, reference, null);
    }

    public Adjust {
      if ((delta == null) == (setOnHand == null)) {
        throw new IllegalArgumentException("exactly one of delta and setOnHand");
      }
      if (delta != null && delta == 0) throw new IllegalArgumentException("a delta of 0");
      if (setOnHand != null && setOnHand < 0) throw new IllegalArgumentException("a count below 0");
      if (incomingId != null && (delta == null || delta < 0))
        throw new IllegalArgumentException("a receipt of incoming units adds units");
    }
  }

  /** {@code rules}: null from a version that knew none (then none). */
  record ChangePolicy(
      long safetyStock, long reorderPoint, long reorderQuantity, String actor, SellingRules rules)
      implements StockRequest {
    public ChangePolicy(long safetyStock, long reorderPoint, long reorderQuantity, String actor) {
      this(safetyStock, reorderPoint, reorderQuantity, actor, SellingRules.NONE);
    }

    public ChangePolicy(long safetyStock, long reorderPoint, long reorderQuantity) {
      this(safetyStock, reorderPoint, reorderQuantity, null, SellingRules.NONE);
    }

    public ChangePolicy {
      if (safetyStock < 0 || reorderPoint < 0 || reorderQuantity < 0) {
        throw new IllegalArgumentException("policy numbers are at least 0");
      }
      if (rules == null) rules = SellingRules.NONE;
    }
  }

  /**
   * A sale a POS terminal made while it could not reach Stockhold: the units already left the
   * store, so it is applied even when the books say they are not there. {@code saleId} makes it
   * apply once.
   */
  record RecordOfflineSale(
      String saleId, String terminalId, long quantity, Instant soldAt, String actor)
      implements StockRequest {
    public RecordOfflineSale(String saleId, String terminalId, long quantity, Instant soldAt) {
      this(saleId, terminalId, quantity, soldAt, null);
    }

    public RecordOfflineSale {
      if (saleId == null || saleId.isEmpty())
        throw new IllegalArgumentException("a sale needs an id");
      if (quantity < 1)
        throw new IllegalArgumentException("a sale is of at least 1 unit, not " + quantity);
      if (soldAt == null) throw new IllegalArgumentException("a sale needs its time");
    }
  }

  /**
   * Units on their way: {@code incomingId} names the entry (a purchase order), and recording the
   * same entry again changes nothing.
   */
  record RecordIncoming(
      String incomingId, long quantity, Instant expectedAt, String reference, String actor)
      implements StockRequest {
    public RecordIncoming {
      if (incomingId == null || incomingId.isEmpty())
        throw new IllegalArgumentException("incoming units need an id");
      if (quantity < 1)
        throw new IllegalArgumentException("incoming is of at least 1 unit, not " + quantity);
      if (expectedAt == null) throw new IllegalArgumentException("incoming units need a date");
    }
  }

  /**
   * Sends {@code quantity} units to location {@code to}: they leave this item's shelf (only units
   * free to sell may go). {@code transferId} makes it ship once.
   */
  record ShipTransfer(String transferId, String to, long quantity, String actor)
      implements StockRequest {
    public ShipTransfer {
      if (quantity < 1)
        throw new IllegalArgumentException("a transfer is of at least 1 unit, not " + quantity);
    }
  }

  /**
   * The units of transfer {@code transferId} from {@code from} arrived: {@code quantity} of them
   * (fewer than shipped is a shortfall, recorded) go on hand, and the transfer is no longer
   * incoming. Only after the transfer was announced here as incoming.
   */
  record ReceiveTransfer(String transferId, String from, long quantity, String actor)
      implements StockRequest {
    public ReceiveTransfer {
      if (quantity < 0)
        throw new IllegalArgumentException("a transfer receives 0 or more units, not " + quantity);
    }
  }
}
