package io.stockhold.transfer;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.stockhold.CborSerializable;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockReply.Unavailable;

/** The answer of a transfer. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
@JsonSubTypes({
  @JsonSubTypes.Type(value = TransferReply.View.class, name = "view"),
  @JsonSubTypes.Type(value = TransferReply.Refused.class, name = "refused"),
  @JsonSubTypes.Type(value = TransferReply.NotNow.class, name = "not-now")
})
public sealed interface TransferReply extends CborSerializable {

  /**
   * A transfer that shipped. {@code status}: {@code in-transit} or {@code received}; {@code
   * receivedQuantity}: set once received. {@code created}: this request shipped it (a retry of the
   * same request is not).
   */
  record View(
      String transferId,
      String from,
      String to,
      String sku,
      long quantity,
      String status,
      Long receivedQuantity,
      boolean created)
      implements TransferReply {}

  /** Nothing changed; {@code available}: what the sending item had, for too few units. */
  record Refused(Rejection reason, String detail, long available) implements TransferReply {
    static Refused of(Rejection reason, String detail) {
      return new Refused(reason, detail, 0);
    }
  }

  /** No answer in time; the transfer goes on, and a retry with the same id learns how it ended. */
  record NotNow(Unavailable.Reason reason, String detail) implements TransferReply {}
}
