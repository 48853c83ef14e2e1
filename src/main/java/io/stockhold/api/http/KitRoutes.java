package io.stockhold.api.http;

import io.stockhold.access.Access;
import io.stockhold.access.Scope;
import io.stockhold.api.http.Problem.FieldError;
import io.stockhold.reservation.Kit;
import io.stockhold.reservation.KitStock;
import io.stockhold.reservation.Kits;
import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockItems;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Unavailable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /v1/kits/{sku}}: SKUs sold as bundles of others. Defining one takes {@code stock:write},
 * reading one {@code stock:read}. A kit's availability at a location is answered by {@code GET
 * /v1/stock/{location}/{kitSku}}, from its components' items ({@link #availability}).
 */
final class KitRoutes extends ApiDirectives {

  record KitBody(String sku, List<Kit.Component> components) {
    static KitBody of(Kit kit) {
      return new KitBody(kit.sku(), kit.components());
    }
  }

  /** A kit at a location: how many whole kits its components' available units make. */
  record KitLevelBody(
      String location, String sku, boolean kit, long available, List<ComponentLevel> components) {}

  record ComponentLevel(String sku, long quantity, long available) {}

  private final Kits kits;

  KitRoutes(Kits kits, Access access) {
    super(access);
    this.kits = kits;
  }

  Route route() {
    return pathPrefix(
        "kits",
        () ->
            pathPrefix(
                sku ->
                    pathEndOrSingleSlash(
                        () ->
                            concat(
                                put(() -> allowed(Scope.STOCK_WRITE, List.of(), p -> put(sku))),
                                get(() -> allowed(Scope.STOCK_READ, List.of(), p -> one(sku)))))));
  }

  private Route one(String sku) {
    Optional<Kit> kit = kits.get(sku);
    if (kit.isEmpty()) {
      return completeProblem(Problem.of(404, "kit-not-found", "Kit not found", "no kit " + sku));
    }
    return complete(json(200, KitBody.of(kit.get())));
  }

  private Route put(String sku) {
    if (!StockItemId.isSku(sku)) {
      return completeProblem(
          Problem.invalid("#/path/sku", "must match " + StockItemId.SKU.pattern()));
    }
    return jsonBody(
        body -> {
          List<FieldError> errors = new ArrayList<>();
          JsonInput in = JsonInput.body(body, errors);
          List<Kit.Component> components = new ArrayList<>();
          if (in != null) {
            in.allowOnly(Set.of("components"));
            Set<String> seen = new HashSet<>();
            for (JsonInput c : in.objects("components", 1, Kit.MAX_COMPONENTS)) {
              c.allowOnly(Set.of("sku", "quantity"));
              String part =
                  c.string(
                      "sku", true, StockItemId::isSku, "must match " + StockItemId.SKU.pattern());
              Long quantity = c.integer("quantity", true, 1, Kit.MAX_COMPONENT_QUANTITY);
              if (part == null || quantity == null) continue;
              if (part.equals(sku)) {
                errors.add(new FieldError(c.pointer("sku"), "a kit cannot contain itself"));
              } else if (kits.get(part).isPresent()) {
                errors.add(new FieldError(c.pointer("sku"), part + " is a kit; kits do not nest"));
              } else if (!seen.add(part)) {
                errors.add(new FieldError(c.pointer("sku"), "is listed twice"));
              }
              components.add(new Kit.Component(part, quantity));
            }
            Optional<Kit> holder = kits.containing(sku);
            if (holder.isPresent()) {
              errors.add(
                  new FieldError(
                      "#/path/sku",
                      sku + " is a component of kit " + holder.get().sku() + "; kits do not nest"));
            }
          }
          if (!errors.isEmpty()) return completeProblem(Problem.invalid(errors));
          return onSuccess(
              kits.put(new Kit(sku, components)), kit -> complete(json(200, KitBody.of(kit))));
        });
  }

  /**
   * What {@code GET /v1/stock/{location}/{kitSku}} answers for a kit ({@link KitStock}); an item
   * that cannot answer now makes the answer 503, not a guess.
   */
  static CompletionStage<HttpResponse> availability(StockItems items, String location, Kit kit) {
    return KitStock.at(items, location, kit)
        .thenApply(
            answer ->
                switch (answer) {
                  case KitStock.Counted c ->
                      json(
                          200,
                          new KitLevelBody(
                              location,
                              kit.sku(),
                              true,
                              c.level().available(),
                              c.level().components().stream()
                                  .map(
                                      p -> new ComponentLevel(p.sku(), p.quantity(), p.available()))
                                  .toList()));
                  case KitStock.NotNow n when n.reply() instanceof Unavailable u ->
                      Problem.from(u).toResponse();
                  case KitStock.NotNow n -> Problem.from((Rejected) n.reply()).toResponse();
                });
  }
}
