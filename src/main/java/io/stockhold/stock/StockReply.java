package io.stockhold.stock;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.stockhold.CborSerializable;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The answer to one request or read. Rejections are values: they carry data (the available
 * quantity) that an error reply would lose across nodes.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
@JsonSubTypes({
  @JsonSubTypes.Type(value = StockReply.LevelReply.class, name = "level"),
  @JsonSubTypes.Type(value = StockReply.HoldReply.class, name = "hold"),
  @JsonSubTypes.Type(value = StockReply.Rejected.class, name = "rejected"),
  @JsonSubTypes.Type(value = StockReply.Unavailable.class, name = "unavailable"),
  @JsonSubTypes.Type(value = StockReply.SaleReply.class, name = "sale")
})
public sealed interface StockReply extends CborSerializable {

  record LevelReply(Level level) implements StockReply {}

  record HoldReply(HoldView hold) implements StockReply {}

  /**
   * What an offline sale did, and the level after it (after its first recording, for a duplicate).
   */
  record SaleReply(SaleOutcome outcome, Level level) implements StockReply {}

  enum SaleOutcome {
    /** Recorded; the books had the units. */
    APPLIED,
    /** Recorded, but the books did not have the units free: a shortage for people to resolve. */
    OVERSOLD,
    /** This sale id was recorded before: nothing changed. */
    DUPLICATE
  }

  /** The request changed nothing; {@code available} is set for {@code INSUFFICIENT_STOCK}. */
  record Rejected(Rejection reason, String detail, long available) implements StockReply {
    public static Rejected of(Rejection reason, String detail) {
      return new Rejected(reason, detail, 0);
    }
  }

  /** The item could not decide in time; the request may or may not have been applied. */
  record Unavailable(Reason reason, String detail) implements StockReply {
    public enum Reason {
      /** The item's queue is full: nothing was applied. */
      OVERLOADED,
      /** No answer in time: the outcome is unknown. */
      TIMEOUT,
      /** The item's journal failed mid-write: the outcome is unknown. */
      RESTARTING
    }
  }

  enum Rejection {
    INSUFFICIENT_STOCK,
    NEGATIVE_ON_HAND,
    STOCK_ITEM_NOT_FOUND,
    RESERVATION_NOT_FOUND,
    RESERVATION_COMMITTED,
    RESERVATION_RELEASED,
    RESERVATION_EXPIRED,
    IDEMPOTENCY_KEY_REUSED,
    /** The item limits units per customer and the request named none. */
    CUSTOMER_REQUIRED,
    /** The hold would take its customer above the item's limit; {@code available}: what is left. */
    CUSTOMER_LIMIT,
    /** A reservation line names a pool nobody made. */
    POOL_NOT_FOUND,
    /** The reservation waits for units: it cannot be committed or extended yet. */
    RESERVATION_BACKORDERED,
    /** A receipt names an incoming entry the item does not have open. */
    INCOMING_NOT_FOUND,
    /** No transfer shipped under this id. */
    TRANSFER_NOT_FOUND,
    /** The transfer was received already, with another quantity. */
    TRANSFER_RECEIVED,
    /** A transfer's receipt names more units than it shipped. */
    MORE_THAN_SHIPPED;

    /** The problem-type slug, e.g. {@code insufficient-stock}. */
    public String slug() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /**
   * A stock item's quantities at one moment. {@code availableByChannel}: on an item that keeps
   * units for channels, what each of those channels may take, and under {@code *} what any other
   * may; empty otherwise. {@code incoming}: units on their way, {@code incomingEntries} by entry;
   * {@code backordered}: units that holds wait for (they are not available to anyone else).
   */
  record Level(
      long onHand,
      long reserved,
      long available,
      long safetyStock,
      long reorderPoint,
      long reorderQuantity,
      Map<String, Long> availableByChannel,
      long incoming,
      long backordered,
      List<Supply.Incoming> incomingEntries) {
    public Level(
        long onHand,
        long reserved,
        long available,
        long safetyStock,
        long reorderPoint,
        long reorderQuantity,
        Map<String, Long> availableByChannel) {
      this(
          onHand,
          reserved,
          available,
          safetyStock,
          reorderPoint,
          reorderQuantity,
          availableByChannel,
          0,
          0,
          List.of());
    }

    public Level(
        long onHand,
        long reserved,
        long available,
        long safetyStock,
        long reorderPoint,
        long reorderQuantity) {
      this(onHand, reserved, available, safetyStock, reorderPoint, reorderQuantity, Map.of());
    }

    public Level {
      // a level sent by a node of a version without channels has none
      availableByChannel =
          availableByChannel == null || availableByChannel.isEmpty()
              ? Map.of()
              : Collections.unmodifiableMap(new LinkedHashMap<>(availableByChannel));
      incomingEntries = incomingEntries == null ? List.of() : List.copyOf(incomingEntries);
    }
  }

  enum HoldStatus {
    /** Waiting for units, in arrival order; no deadline until filled. */
    BACKORDERED,
    HELD,
    COMMITTED,
    RELEASED,
    EXPIRED;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** {@code actor}: who placed the hold and owns it (null: placed before keys existed). */
  record HoldView(
      String holdId,
      String reservationId,
      String channel,
      long quantity,
      HoldStatus status,
      Instant expiresAt,
      String actor) {
    public HoldView(
        String holdId,
        String reservationId,
        String channel,
        long quantity,
        HoldStatus status,
        Instant expiresAt) {
      this(holdId, reservationId, channel, quantity, status, expiresAt, null);
    }
  }
}
