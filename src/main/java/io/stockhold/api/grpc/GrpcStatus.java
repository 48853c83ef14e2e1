package io.stockhold.api.grpc;

import io.grpc.Status;
import io.stockhold.reservation.ReservationReply;
import io.stockhold.reservation.ReservationReply.ShortLine;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockReply.Unavailable;
import java.util.List;
import java.util.Locale;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.javadsl.MetadataBuilder;

/**
 * The one place where domain rejections become gRPC status codes (README "Point of sale: gRPC"), as
 * {@code Problem} is for HTTP: a never-stocked item or an unknown reservation is {@code NOT_FOUND},
 * too little stock and a reservation past its end are {@code FAILED_PRECONDITION}, bad input is
 * {@code INVALID_ARGUMENT} naming the field, and an item that could not decide in time is {@code
 * UNAVAILABLE} (retry with the same request id).
 */
final class GrpcStatus {

  private GrpcStatus() {}

  static GrpcServiceException of(Rejected rejected) {
    Status code =
        switch (rejected.reason()) {
          case STOCK_ITEM_NOT_FOUND,
              RESERVATION_NOT_FOUND,
              POOL_NOT_FOUND,
              INCOMING_NOT_FOUND,
              TRANSFER_NOT_FOUND ->
              Status.NOT_FOUND;
          case TRANSFER_RECEIVED -> Status.FAILED_PRECONDITION;
          case MORE_THAN_SHIPPED -> Status.INVALID_ARGUMENT;
          case INSUFFICIENT_STOCK,
              RESERVATION_BACKORDERED,
              NEGATIVE_ON_HAND,
              RESERVATION_COMMITTED,
              RESERVATION_RELEASED,
              RESERVATION_EXPIRED,
              CUSTOMER_LIMIT ->
              Status.FAILED_PRECONDITION;
          case CUSTOMER_REQUIRED -> Status.INVALID_ARGUMENT;
          // The request id is the client's input: reused for another request, it is a bad argument.
          case IDEMPOTENCY_KEY_REUSED -> Status.INVALID_ARGUMENT;
        };
    String prefix = rejected.reason() == Rejection.IDEMPOTENCY_KEY_REUSED ? "request_id: " : "";
    return new GrpcServiceException(
        code.withDescription(prefix + rejected.reason().slug() + ": " + rejected.detail()));
  }

  static GrpcServiceException of(Unavailable unavailable) {
    return new GrpcServiceException(
        Status.UNAVAILABLE.withDescription(
            unavailable.reason().name().toLowerCase(Locale.ROOT) + ": " + unavailable.detail()));
  }

  static GrpcServiceException of(ReservationReply.Refused refused) {
    if (refused.reason() == Rejection.INSUFFICIENT_STOCK && !refused.shortLines().isEmpty()) {
      return insufficient(refused.shortLines());
    }
    return of(new Rejected(refused.reason(), refused.detail(), 0));
  }

  static GrpcServiceException of(ReservationReply.NotNow notNow) {
    return of(new Unavailable(notNow.reason(), notNow.detail()));
  }

  /** No key, or one that is not (or no longer) valid. */
  static GrpcServiceException unauthenticated(String detail) {
    return new GrpcServiceException(
        Status.UNAUTHENTICATED.withDescription("unauthenticated: " + detail));
  }

  /** A key without the scope or the location the call needs. */
  static GrpcServiceException permissionDenied(String detail) {
    return new GrpcServiceException(
        Status.PERMISSION_DENIED.withDescription("forbidden: " + detail));
  }

  /** Over the key's rate; {@code retry-after} (seconds) in the trailers, as REST's header. */
  static GrpcServiceException rateLimited(String keyId, long retryAfterSeconds) {
    return new GrpcServiceException(
        Status.RESOURCE_EXHAUSTED.withDescription(
            "rate-limited: API key "
                + keyId
                + " is over its rate limit; retry after "
                + retryAfterSeconds
                + " s"),
        new MetadataBuilder().addText("retry-after", Long.toString(retryAfterSeconds)).build());
  }

  /**
   * Every short line named, with what it asked and what its item (or, for a pool line, its pool)
   * had.
   */
  static GrpcServiceException insufficient(List<ShortLine> lines) {
    StringBuilder message = new StringBuilder(Rejection.INSUFFICIENT_STOCK.slug()).append(":");
    for (ShortLine l : lines) {
      message
          .append(' ')
          .append(l.pool() != null ? "pool " + l.pool() : l.location())
          .append('/')
          .append(l.sku())
          .append(" requested ")
          .append(l.requested())
          .append(", available ")
          .append(l.available())
          .append(';');
    }
    message.setLength(message.length() - 1);
    return new GrpcServiceException(Status.FAILED_PRECONDITION.withDescription(message.toString()));
  }

  /**
   * Bad input: each problem as {@code field: what is wrong}, e.g. {@code lines[0].quantity: ...}.
   */
  static GrpcServiceException invalid(List<String> problems) {
    return new GrpcServiceException(
        Status.INVALID_ARGUMENT.withDescription(String.join("; ", problems)));
  }
}
