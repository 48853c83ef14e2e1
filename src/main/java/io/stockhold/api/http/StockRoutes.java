package io.stockhold.api.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.stockhold.api.http.Problem.FieldError;
import io.stockhold.reservation.Idempotency;
import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockItems;
import io.stockhold.stock.StockReply.Level;
import io.stockhold.stock.StockReply.LevelReply;
import io.stockhold.stock.StockRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code /v1/stock/{location}/{sku}}: levels, adjustments and policy. */
final class StockRoutes extends ApiDirectives {

  static final Set<String> REASONS = Set.of("receipt", "count", "damage", "return", "correction");

  /** The body of a stock level. */
  record LevelBody(String location, String sku, long onHand, long reserved, long available,
      long safetyStock, long reorderPoint, long reorderQuantity) {
    static LevelBody of(StockItemId id, Level l) {
      return new LevelBody(id.location(), id.sku(), l.onHand(), l.reserved(), l.available(),
          l.safetyStock(), l.reorderPoint(), l.reorderQuantity());
    }
  }

  private final StockItems items;

  StockRoutes(StockItems items) {
    this.items = items;
  }

  Route route() {
    return pathPrefix("stock", () -> pathPrefix(location -> pathPrefix(sku ->
        stockItem(location, sku, item -> concat(
            pathEndOrSingleSlash(() -> get(() -> level(item))),
            path("adjustments", () -> post(() -> adjust(item))),
            path("policy", () -> put(() -> policy(item))))))));
  }

  private Route level(StockItemId item) {
    return reply(items.level(item), r -> r instanceof LevelReply l ? json(200, LevelBody.of(item, l.level())) : null);
  }

  private Route adjust(StockItemId item) {
    return idempotencyKey(key -> jsonBody(body -> {
      List<FieldError> errors = new ArrayList<>();
      StockRequest.Adjust adjust = readAdjustment(body, key, errors);
      if (!errors.isEmpty()) return completeProblem(Problem.invalid(errors));
      return reply(items.submit(item, adjust),
          r -> r instanceof LevelReply l ? json(200, LevelBody.of(item, l.level())) : null);
    }));
  }

  private static StockRequest.Adjust readAdjustment(JsonNode body, Optional<String> key, List<FieldError> errors) {
    JsonInput in = JsonInput.body(body, errors);
    if (in == null) return null;
    in.allowOnly(Set.of("delta", "setOnHand", "reason", "reference"));
    Long delta = null;
    Long setOnHand = null;
    if (in.has("delta") == in.has("setOnHand")) {
      errors.add(new FieldError("/delta", "exactly one of delta and setOnHand is required"));
    } else if (in.has("delta")) {
      delta = in.integer("delta", true, -MAX_UNITS, MAX_UNITS);
      if (delta != null && delta == 0) {
        errors.add(new FieldError("/delta", "must not be 0"));
      }
    } else {
      setOnHand = in.integer("setOnHand", true, 0, MAX_UNITS);
    }
    String reason = in.string("reason", true, REASONS::contains,
        "must be one of receipt, count, damage, return, correction");
    String reference = in.string("reference", false, s -> s.length() <= 200, "must be at most 200 characters");
    if (!errors.isEmpty()) return null;
    return new StockRequest.Adjust(
        key.map(k -> Idempotency.operationId(Idempotency.ADJUSTMENTS, k)).orElse(null),
        key.map(k -> Idempotency.fingerprint(Json.canonical(body))).orElse(null),
        delta, setOnHand, reason, reference);
  }

  private Route policy(StockItemId item) {
    return jsonBody(body -> {
      List<FieldError> errors = new ArrayList<>();
      JsonInput in = JsonInput.body(body, errors);
      Long safety = null;
      Long point = null;
      Long quantity = null;
      if (in != null) {
        in.allowOnly(Set.of("safetyStock", "reorderPoint", "reorderQuantity"));
        safety = in.integer("safetyStock", true, 0, MAX_UNITS);
        point = in.integer("reorderPoint", true, 0, MAX_UNITS);
        quantity = in.integer("reorderQuantity", true, 0, MAX_UNITS);
      }
      if (!errors.isEmpty()) return completeProblem(Problem.invalid(errors));
      return reply(items.submit(item, new StockRequest.ChangePolicy(safety, point, quantity)),
          r -> r instanceof LevelReply l ? json(200, LevelBody.of(item, l.level())) : null);
    });
  }
}
