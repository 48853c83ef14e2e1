package io.stockhold.reservation;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.stockhold.CborSerializable;
import io.stockhold.stock.StockReply.HoldStatus;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockReply.Unavailable;
import java.time.Instant;
import java.util.List;

/** The answer of a multi-line reservation. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
@JsonSubTypes({
  @JsonSubTypes.Type(value = ReservationReply.View.class, name = "view"),
  @JsonSubTypes.Type(value = ReservationReply.Refused.class, name = "refused"),
  @JsonSubTypes.Type(value = ReservationReply.NotNow.class, name = "not-now")
})
public sealed interface ReservationReply extends CborSerializable {

  /** {@code actor}: who made the reservation and owns it (null: made before keys existed). */
  record View(
      String reservationId,
      HoldStatus status,
      String channel,
      Instant expiresAt,
      List<ReservationLine> lines,
      String actor)
      implements ReservationReply {
    public View(
        String reservationId,
        HoldStatus status,
        String channel,
        Instant expiresAt,
        List<ReservationLine> lines) {
      this(reservationId, status, channel, expiresAt, lines, null);
    }
  }

  /**
   * A line that could not be held, and what its item had; for a line that named a pool, {@code
   * pool} instead of {@code location}, and what the pool's locations had together.
   */
  record ShortLine(String location, String sku, long requested, long available, String pool) {
    public ShortLine(String location, String sku, long requested, long available) {
      this(location, sku, requested, available, null);
    }

    public static ShortLine ofPool(String pool, String sku, long requested, long available) {
      return new ShortLine(null, sku, requested, available, pool);
    }
  }

  /** Nothing changed; {@code shortLines} is set for {@code INSUFFICIENT_STOCK}. */
  record Refused(Rejection reason, String detail, List<ShortLine> shortLines)
      implements ReservationReply {
    public static Refused of(Rejection reason, String detail) {
      return new Refused(reason, detail, List.of());
    }
  }

  /** No decision in time; the outcome is unknown (retry with the same key). */
  record NotNow(Unavailable.Reason reason, String detail) implements ReservationReply {}
}
