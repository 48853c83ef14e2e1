package io.stockhold.api.http;

import io.stockhold.reservation.ReservationReply.Refused;
import io.stockhold.reservation.ReservationReply.ShortLine;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockReply.Unavailable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * An RFC 9457 problem: every error the API answers. The one place where domain rejections become
 * HTTP statuses.
 */
record Problem(
    int status,
    String slug,
    String title,
    String detail,
    List<FieldError> errors,
    List<ShortLine> lines) {

  static final String TYPE_BASE = "https://stockhold.io/problems/";
  static final ContentType PROBLEM_JSON =
      MediaTypes.applicationWithFixedCharset("problem+json", HttpCharsets.UTF_8).toContentType();

  /** One bad input: a JSON Pointer into the body, or {@code #/path/x}, {@code #/header/X}. */
  record FieldError(String pointer, String detail) {}

  static Problem of(int status, String slug, String title, String detail) {
    return new Problem(status, slug, title, detail, null, null);
  }

  static Problem invalid(List<FieldError> errors) {
    // The empty pointer is the whole body (malformed JSON, say): its detail stands alone.
    String detail =
        errors.size() > 1
            ? errors.size() + " problems with the request; see errors"
            : errors.get(0).pointer().isEmpty()
                ? errors.get(0).detail()
                : errors.get(0).pointer() + ": " + errors.get(0).detail();
    return new Problem(
        400, "invalid-request", "Invalid request", detail, List.copyOf(errors), null);
  }

  static Problem invalid(String pointer, String detail) {
    return invalid(List.of(new FieldError(pointer, detail)));
  }

  static Problem insufficient(List<ShortLine> lines) {
    return new Problem(
        409,
        "insufficient-stock",
        "Insufficient stock",
        lines.size() == 1
            ? "requested " + lines.get(0).requested() + ", available " + lines.get(0).available()
            : lines.size() + " lines cannot be met",
        null,
        List.copyOf(lines));
  }

  static Problem from(Rejected rejected) {
    Rejection r = rejected.reason();
    return switch (r) {
      case INSUFFICIENT_STOCK -> of(409, r.slug(), "Insufficient stock", rejected.detail());
      case NEGATIVE_ON_HAND -> of(409, r.slug(), "On hand would go negative", rejected.detail());
      case STOCK_ITEM_NOT_FOUND -> of(404, r.slug(), "Stock item not found", rejected.detail());
      case RESERVATION_NOT_FOUND -> of(404, r.slug(), "Reservation not found", rejected.detail());
      case RESERVATION_COMMITTED -> of(409, r.slug(), "Reservation committed", rejected.detail());
      case RESERVATION_RELEASED -> of(409, r.slug(), "Reservation released", rejected.detail());
      case RESERVATION_EXPIRED -> of(409, r.slug(), "Reservation expired", rejected.detail());
      case IDEMPOTENCY_KEY_REUSED -> of(422, r.slug(), "Idempotency key reused", rejected.detail());
      case CUSTOMER_REQUIRED -> of(400, r.slug(), "Customer required", rejected.detail());
      case CUSTOMER_LIMIT -> of(409, r.slug(), "Customer limit reached", rejected.detail());
      case POOL_NOT_FOUND -> of(404, r.slug(), "Pool not found", rejected.detail());
      case RESERVATION_BACKORDERED ->
          of(409, r.slug(), "Reservation backordered", rejected.detail());
      case INCOMING_NOT_FOUND -> of(404, r.slug(), "Incoming not found", rejected.detail());
      case TRANSFER_NOT_FOUND -> of(404, r.slug(), "Transfer not found", rejected.detail());
      case TRANSFER_RECEIVED -> of(409, r.slug(), "Transfer received", rejected.detail());
      case MORE_THAN_SHIPPED -> invalid(List.of(new FieldError("/quantity", rejected.detail())));
    };
  }

  /** A reservation refused: every short line named for too little stock, else as its rejection. */
  static Problem from(Refused refused) {
    if (refused.reason() == Rejection.INSUFFICIENT_STOCK && !refused.shortLines().isEmpty()) {
      return insufficient(refused.shortLines());
    }
    if (refused.reason() == Rejection.CUSTOMER_LIMIT && !refused.shortLines().isEmpty()) {
      // each line named with what its customer may still have of it
      return new Problem(
          409,
          refused.reason().slug(),
          "Customer limit reached",
          refused.detail(),
          null,
          List.copyOf(refused.shortLines()));
    }
    return from(new Rejected(refused.reason(), refused.detail(), 0));
  }

  static Problem from(Unavailable unavailable) {
    return switch (unavailable.reason()) {
      case OVERLOADED -> of(503, "overloaded", "Overloaded", unavailable.detail());
      case TIMEOUT -> of(503, "timeout", "Timed out", unavailable.detail());
      case RESTARTING -> of(503, "unavailable", "Temporarily unavailable", unavailable.detail());
    };
  }

  /** No key, or one that is not (or no longer) valid: 401 with {@code WWW-Authenticate: Bearer}. */
  static HttpResponse unauthenticated(String detail) {
    return of(401, "unauthenticated", "Unauthenticated", detail)
        .toResponse()
        .addHeader(RawHeader.create("WWW-Authenticate", "Bearer"));
  }

  /** A key without the scope or the location a request needs: the detail names which. */
  static Problem forbidden(String detail) {
    return of(403, "forbidden", "Forbidden", detail);
  }

  /** Over the key's rate: 429 with {@code Retry-After}. */
  static HttpResponse rateLimited(String keyId, long retryAfterSeconds) {
    return of(
            429,
            "rate-limited",
            "Too many requests",
            "API key " + keyId + " is over its rate limit; retry after " + retryAfterSeconds + " s")
        .toResponse()
        .addHeader(RawHeader.create("Retry-After", Long.toString(retryAfterSeconds)));
  }

  HttpResponse toResponse() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", TYPE_BASE + slug);
    body.put("title", title);
    body.put("status", status);
    body.put("detail", detail);
    if (errors != null) body.put("errors", errors);
    if (lines != null) body.put("lines", lines);
    HttpResponse response =
        HttpResponse.create().withStatus(status).withEntity(PROBLEM_JSON, Json.bytes(body));
    return status == 503 ? response.addHeader(RawHeader.create("Retry-After", "1")) : response;
  }
}
