package io.stockhold.api.http;

import io.stockhold.access.Access;
import io.stockhold.access.Scope;
import io.stockhold.api.http.Problem.FieldError;
import io.stockhold.reservation.Pool;
import io.stockhold.reservation.PoolStock;
import io.stockhold.reservation.Pools;
import io.stockhold.reservation.ReservationService;
import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Rejection;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /v1/pools}: locations that sell as one, and what they have together. Making and removing a
 * pool takes {@code stock:write} at every location it lists; reading one, {@code stock:read}.
 */
final class PoolRoutes extends ApiDirectives {

  record PoolBody(String pool, List<String> locations) {
    static PoolBody of(Pool p) {
      return new PoolBody(p.poolId(), p.locations());
    }
  }

  private final Pools pools;
  private final ReservationService reservations;

  PoolRoutes(ReservationService reservations, Access access) {
    super(access);
    this.pools = reservations.pools();
    this.reservations = reservations;
  }

  Route route() {
    return pathPrefix(
        "pools",
        () ->
            pathPrefix(
                poolId ->
                    validPool(
                        poolId,
                        () ->
                            concat(
                                pathEndOrSingleSlash(
                                    () ->
                                        concat(
                                            put(
                                                () ->
                                                    allowed(
                                                        Scope.STOCK_WRITE,
                                                        List.of(),
                                                        p -> put(poolId))),
                                            get(
                                                () ->
                                                    allowed(
                                                        Scope.STOCK_READ,
                                                        List.of(),
                                                        p -> one(poolId))),
                                            delete(
                                                () ->
                                                    allowed(
                                                        Scope.STOCK_WRITE,
                                                        List.of(),
                                                        p -> delete(poolId))))),
                                pathPrefix(
                                    "stock",
                                    () ->
                                        path(
                                            sku ->
                                                get(
                                                    () ->
                                                        allowed(
                                                            Scope.STOCK_READ,
                                                            List.of(),
                                                            p -> stock(poolId, sku)))))))));
  }

  private Route validPool(String poolId, java.util.function.Supplier<Route> inner) {
    if (!StockItemId.isLocation(poolId)) {
      return completeProblem(
          Problem.invalid("#/path/pool", "must match " + StockItemId.LOCATION.pattern()));
    }
    return inner.get();
  }

  private Route put(String poolId) {
    return jsonBody(
        body -> {
          List<FieldError> errors = new ArrayList<>();
          JsonInput in = JsonInput.body(body, errors);
          List<String> locations = List.of();
          if (in != null) {
            in.allowOnly(Set.of("locations"));
            locations =
                in.strings(
                    "locations",
                    true,
                    1,
                    Pool.MAX_LOCATIONS,
                    StockItemId::isLocation,
                    "must match " + StockItemId.LOCATION.pattern());
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < locations.size(); i++) {
              if (!seen.add(locations.get(i))) {
                errors.add(new FieldError("/locations/" + i, "is listed twice"));
              }
            }
          }
          if (!errors.isEmpty()) return completeProblem(Problem.invalid(errors));
          Pool pool = new Pool(poolId, locations);
          return allowed(
              Scope.STOCK_WRITE,
              pool.locations(),
              p ->
                  completeWithFuture(
                      pools.put(pool).thenApply(stored -> json(200, PoolBody.of(stored)))));
        });
  }

  private Route one(String poolId) {
    return completeWithFuture(
        pools
            .get(poolId)
            .thenApply(
                pool ->
                    pool.map(p -> json(200, PoolBody.of(p))).orElseGet(() -> notFound(poolId))));
  }

  private Route delete(String poolId) {
    return onSuccess(
        pools.get(poolId),
        pool ->
            pool.isEmpty()
                ? complete(notFound(poolId))
                : allowed(
                    Scope.STOCK_WRITE,
                    pool.get().locations(),
                    p ->
                        completeWithFuture(
                            pools
                                .delete(poolId)
                                .thenApply(
                                    deleted ->
                                        deleted
                                            ? HttpResponse.create()
                                                .withStatus(StatusCodes.NO_CONTENT)
                                            : notFound(poolId)))));
  }

  private Route stock(String poolId, String sku) {
    if (!StockItemId.isSku(sku)) {
      return completeProblem(
          Problem.invalid("#/path/sku", "must match " + StockItemId.SKU.pattern()));
    }
    return completeWithFuture(
        reservations
            .poolStock(poolId, sku)
            .thenApply(
                found ->
                    found
                        .map((PoolStock.Summary summary) -> json(200, summary))
                        .orElseGet(() -> notFound(poolId))));
  }

  private static HttpResponse notFound(String poolId) {
    return Problem.from(new Rejected(Rejection.POOL_NOT_FOUND, "no pool " + poolId, 0))
        .toResponse();
  }
}
