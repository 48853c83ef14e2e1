package io.stockhold.api.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.stockhold.access.Access;
import io.stockhold.access.Principal;
import io.stockhold.access.Scope;
import io.stockhold.api.http.Problem.FieldError;
import io.stockhold.events.InventoryEvents;
import io.stockhold.idempotency.Idempotency;
import io.stockhold.readmodel.StockHistory;
import io.stockhold.readmodel.StockLevels;
import io.stockhold.reservation.Kit;
import io.stockhold.reservation.Kits;
import io.stockhold.stock.SellingRules;
import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockItems;
import io.stockhold.stock.StockReply.Level;
import io.stockhold.stock.StockReply.LevelReply;
import io.stockhold.stock.StockRequest;
import io.stockhold.stock.Supply;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code /v1/stock/{location}/{sku}}: levels, adjustments, incoming units and policy. */
final class StockRoutes extends ApiDirectives {

  static final Set<String> REASONS = Set.of("receipt", "count", "damage", "return", "correction");

  /**
   * The body of a stock level. {@code incomingEntries}: absent when nothing is on its way (and in
   * the read model's list, which keeps totals only).
   */
  record LevelBody(
      String location,
      String sku,
      long onHand,
      long reserved,
      long available,
      long safetyStock,
      long reorderPoint,
      long reorderQuantity,
      Map<String, Long> availableByChannel,
      long incoming,
      long backordered,
      List<IncomingBody> incomingEntries) {
    static LevelBody of(StockItemId id, Level l) {
      return new LevelBody(
          id.location(),
          id.sku(),
          l.onHand(),
          l.reserved(),
          l.available(),
          l.safetyStock(),
          l.reorderPoint(),
          l.reorderQuantity(),
          l.availableByChannel().isEmpty() ? null : l.availableByChannel(),
          l.incoming(),
          l.backordered(),
          l.incomingEntries().isEmpty()
              ? null
              : l.incomingEntries().stream().map(IncomingBody::of).toList());
    }
  }

  /** One incoming entry: units still expected of it. */
  record IncomingBody(String incomingId, long quantity, String expectedAt, String reference) {
    static IncomingBody of(Supply.Incoming i) {
      return new IncomingBody(
          i.incomingId(), i.quantity(), Json.time(i.expectedAt()), i.reference());
    }
  }

  static final int DEFAULT_PAGE = 100;
  static final int MAX_PAGE = 1000;

  /** A page of an item's history; {@code nextCursor} is null (not absent) on the last page. */
  record HistoryPage(
      List<Object> items, @JsonInclude(JsonInclude.Include.ALWAYS) String nextCursor) {}

  /** A page of stock levels from the read model. */
  record LevelPage(
      List<LevelBody> items, @JsonInclude(JsonInclude.Include.ALWAYS) String nextCursor) {}

  private final StockItems items;
  private final StockHistory history;
  private final StockLevels levels;

  private final Kits kits;

  StockRoutes(
      StockItems items, StockHistory history, StockLevels levels, Kits kits, Access access) {
    super(access);
    this.items = items;
    this.history = history;
    this.levels = levels;
    this.kits = kits;
  }

  Route route() {
    return pathPrefix(
        "stock",
        () ->
            concat(
                pathEndOrSingleSlash(() -> get(this::list)),
                pathPrefix(
                    location -> pathPrefix(sku -> stockItem(location, sku, this::itemRoutes)))));
  }

  /** One item's routes, each for callers with its scope at the item's location (403 otherwise). */
  private Route itemRoutes(StockItemId item) {
    List<String> at = List.of(item.location());
    return concat(
        pathEndOrSingleSlash(() -> get(() -> allowed(Scope.STOCK_READ, at, p -> level(item)))),
        path("adjustments", () -> post(() -> allowed(Scope.STOCK_WRITE, at, p -> adjust(item, p)))),
        path("incoming", () -> post(() -> allowed(Scope.STOCK_WRITE, at, p -> incoming(item, p)))),
        path("policy", () -> put(() -> allowed(Scope.STOCK_WRITE, at, p -> policy(item, p)))),
        path("history", () -> get(() -> allowed(Scope.STOCK_READ, at, p -> history(item)))));
  }

  /** An item's level; for a kit's SKU, how many whole kits its components make there. */
  private Route level(StockItemId item) {
    Optional<Kit> kit = kits.get(item.sku());
    if (kit.isPresent()) {
      return completeWithFuture(KitRoutes.availability(items, item.location(), kit.get()));
    }
    return reply(
        items.level(item), LevelReply.class, l -> json(200, LevelBody.of(item, l.level())));
  }

  /** Stock levels from the read model, by (location, sku); filtered by location and low stock. */
  private Route list() {
    return parameterOptional(
        "location",
        location ->
            parameterOptional(
                "lowStock",
                lowStock ->
                    parameterOptional(
                        "limit",
                        limit ->
                            parameterOptional(
                                "cursor",
                                cursor -> {
                                  List<FieldError> errors = new ArrayList<>();
                                  if (location.isPresent()
                                      && !StockItemId.isLocation(location.get())) {
                                    errors.add(
                                        new FieldError(
                                            "#/query/location",
                                            "must match " + StockItemId.LOCATION.pattern()));
                                  }
                                  if (lowStock.isPresent()
                                      && !lowStock.get().matches("true|false")) {
                                    errors.add(
                                        new FieldError(
                                            "#/query/lowStock", "must be true or false"));
                                  }
                                  int size = pageSize(limit, errors);
                                  Optional<StockItemId> after =
                                      cursor.flatMap(StockLevels::parseCursor);
                                  if (cursor.isPresent() && after.isEmpty()) {
                                    errors.add(
                                        new FieldError(
                                            "#/query/cursor", "is not a cursor this API gave out"));
                                  }
                                  if (!errors.isEmpty())
                                    return completeProblem(Problem.invalid(errors));
                                  // Without a filter, a key bound to locations lists only those.
                                  return allowed(
                                      Scope.STOCK_READ,
                                      location.map(List::of).orElse(List.of()),
                                      principal ->
                                          completeWithFuture(
                                              levels
                                                  .list(
                                                      location
                                                          .map(Set::of)
                                                          .orElseGet(
                                                              () ->
                                                                  principal
                                                                      .onlyLocations()
                                                                      .orElse(Set.of())),
                                                      lowStock
                                                          .map(Boolean::parseBoolean)
                                                          .orElse(false),
                                                      size,
                                                      after)
                                                  .thenApply(
                                                      page ->
                                                          json(
                                                              200,
                                                              new LevelPage(
                                                                  page.rows().stream()
                                                                      .map(
                                                                          r ->
                                                                              LevelBody.of(
                                                                                  r.item(),
                                                                                  r.level()))
                                                                      .toList(),
                                                                  page.next().orElse(null))))));
                                }))));
  }

  private static int pageSize(Optional<String> limit, List<FieldError> errors) {
    if (limit.isEmpty()) return DEFAULT_PAGE;
    if (!limit.get().matches("\\d{1,4}")
        || Integer.parseInt(limit.get()) < 1
        || Integer.parseInt(limit.get()) > MAX_PAGE) {
      errors.add(new FieldError("#/query/limit", "must be an integer from 1 to " + MAX_PAGE));
      return DEFAULT_PAGE;
    }
    return Integer.parseInt(limit.get());
  }

  /** The item's journal, oldest first; the cursor is the sequence number to continue from. */
  private Route history(StockItemId item) {
    return parameterOptional(
        "limit",
        limit ->
            parameterOptional(
                "cursor",
                cursor -> {
                  List<FieldError> errors = new ArrayList<>();
                  int size = pageSize(limit, errors);
                  long from = 1;
                  if (cursor.isPresent()) {
                    if (!cursor.get().matches("[1-9]\\d{0,17}")) {
                      errors.add(
                          new FieldError("#/query/cursor", "is not a cursor this API gave out"));
                    } else {
                      from = Long.parseLong(cursor.get());
                    }
                  }
                  if (!errors.isEmpty()) return completeProblem(Problem.invalid(errors));
                  long start = from;
                  return completeWithFuture(
                      history
                          .page(item, from, size)
                          .thenApply(
                              page -> {
                                if (page.entries().isEmpty() && start == 1) {
                                  return Problem.of(
                                          404,
                                          "stock-item-not-found",
                                          "Stock item not found",
                                          "stock item " + item + " was never stocked")
                                      .toResponse();
                                }
                                List<Object> events = new ArrayList<>();
                                for (StockHistory.Entry e : page.entries()) {
                                  events.add(
                                      InventoryEvents.body(
                                          e.persistenceId(), e.sequenceNr(), e.event()));
                                }
                                return json(
                                    200,
                                    new HistoryPage(
                                        events,
                                        page.next() == 0 ? null : Long.toString(page.next())));
                              }));
                }));
  }

  private Route adjust(StockItemId item, Principal principal) {
    return idempotencyKey(
        key ->
            jsonBody(
                body -> {
                  List<FieldError> errors = new ArrayList<>();
                  StockRequest.Adjust adjust = readAdjustment(body, key, principal, errors);
                  if (!errors.isEmpty()) return completeProblem(Problem.invalid(errors));
                  return reply(
                      items.submit(item, adjust),
                      LevelReply.class,
                      l -> json(200, LevelBody.of(item, l.level())));
                }));
  }

  private static StockRequest.Adjust readAdjustment(
      JsonNode body, Optional<String> key, Principal principal, List<FieldError> errors) {
    JsonInput in = JsonInput.body(body, errors);
    if (in == null) return null;
    in.allowOnly(Set.of("delta", "setOnHand", "reason", "reference", "incomingId"));
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
    String reason =
        in.string(
            "reason",
            true,
            REASONS::contains,
            "must be one of receipt, count, damage, return, correction");
    String reference =
        in.string("reference", false, s -> s.length() <= 200, "must be at most 200 characters");
    String incomingId =
        in.string(
            "incomingId",
            false,
            id -> Supply.INCOMING_ID.matcher(id).matches(),
            "must match " + Supply.INCOMING_ID.pattern());
    if (incomingId != null && !("receipt".equals(reason) && delta != null && delta > 0)) {
      errors.add(
          new FieldError(
              "/incomingId", "only a receipt (reason receipt, a positive delta) brings in units"));
    }
    if (!errors.isEmpty()) return null;
    return new StockRequest.Adjust(
        key.map(
                k ->
                    Idempotency.operationId(
                        Idempotency.ADJUSTMENTS, principal.idempotencyScope(), k))
            .orElse(null),
        key.map(k -> Idempotency.fingerprint(body)).orElse(null),
        delta,
        setOnHand,
        reason,
        reference,
        principal.actor(),
        incomingId);
  }

  /** Records units on their way: a purchase order's line, say. Recording it again is harmless. */
  private Route incoming(StockItemId item, Principal principal) {
    return jsonBody(
        body -> {
          List<FieldError> errors = new ArrayList<>();
          JsonInput in = JsonInput.body(body, errors);
          String incomingId = null;
          Long quantity = null;
          Instant expectedAt = null;
          String reference = null;
          if (in != null) {
            in.allowOnly(Set.of("incomingId", "quantity", "expectedAt", "reference"));
            incomingId =
                in.string(
                    "incomingId",
                    true,
                    id -> Supply.INCOMING_ID.matcher(id).matches(),
                    "must match " + Supply.INCOMING_ID.pattern());
            quantity = in.integer("quantity", true, 1, MAX_UNITS);
            expectedAt = in.time("expectedAt", true);
            reference =
                in.string(
                    "reference", false, s -> s.length() <= 200, "must be at most 200 characters");
          }
          if (!errors.isEmpty()) return completeProblem(Problem.invalid(errors));
          return reply(
              items.submit(
                  item,
                  new StockRequest.RecordIncoming(
                      incomingId, quantity, expectedAt, reference, principal.actor())),
              LevelReply.class,
              l -> json(200, LevelBody.of(item, l.level())));
        });
  }

  /** Channels an item may keep units for. */
  static final int MAX_FENCED_CHANNELS = 20;

  /** The longest a customer's purchases count against a limit: a year. */
  static final long MAX_CUSTOMER_WINDOW_SECONDS = 366L * 86_400;

  private Route policy(StockItemId item, Principal principal) {
    return jsonBody(
        body -> {
          List<FieldError> errors = new ArrayList<>();
          JsonInput in = JsonInput.body(body, errors);
          Long safety = null;
          Long point = null;
          Long quantity = null;
          Map<String, Long> fences = new TreeMap<>();
          Long maxPerCustomer = null;
          Long window = null;
          Long backorderLimit = null;
          Boolean preorder = null;
          if (in != null) {
            in.allowOnly(
                Set.of(
                    "safetyStock",
                    "reorderPoint",
                    "reorderQuantity",
                    "channelReserve",
                    "maxPerCustomer",
                    "customerWindowSeconds",
                    "backorderLimit",
                    "preorder"));
            safety = in.integer("safetyStock", true, 0, MAX_UNITS);
            point = in.integer("reorderPoint", true, 0, MAX_UNITS);
            quantity = in.integer("reorderQuantity", true, 0, MAX_UNITS);
            in.object("channelReserve").ifPresent(o -> readFences(o, fences, errors));
            maxPerCustomer = in.integer("maxPerCustomer", false, 0, MAX_UNITS);
            window = in.integer("customerWindowSeconds", false, 1, MAX_CUSTOMER_WINDOW_SECONDS);
            backorderLimit = in.integer("backorderLimit", false, 0, MAX_UNITS);
            preorder = in.bool("preorder");
          }
          if (!errors.isEmpty()) return completeProblem(Problem.invalid(errors));
          SellingRules rules =
              new SellingRules(
                  fences,
                  maxPerCustomer == null ? 0 : maxPerCustomer,
                  window == null ? SellingRules.DEFAULT_CUSTOMER_WINDOW_SECONDS : window,
                  backorderLimit == null ? 0 : backorderLimit,
                  preorder != null && preorder);
          return reply(
              items.submit(
                  item,
                  new StockRequest.ChangePolicy(safety, point, quantity, principal.actor(), rules)),
              LevelReply.class,
              l -> json(200, LevelBody.of(item, l.level())));
        });
  }

  /** {@code channelReserve}: channel names to units kept for them (0 keeps none). */
  private static void readFences(JsonInput o, Map<String, Long> fences, List<FieldError> errors) {
    List<String> channels = o.names();
    if (channels.size() > MAX_FENCED_CHANNELS) {
      errors.add(new FieldError(o.at(), "must name at most " + MAX_FENCED_CHANNELS + " channels"));
      return;
    }
    for (String channel : channels) {
      if (!StockItemId.isChannel(channel)) {
        errors.add(
            new FieldError(
                o.pointer(channel),
                "must be a channel name matching " + StockItemId.CHANNEL.pattern()));
        continue;
      }
      Long units = o.integer(channel, true, 0, MAX_UNITS);
      if (units != null && units > 0) fences.put(channel, units);
    }
  }
}
