package io.stockhold.api.http;

import io.stockhold.access.Access;
import io.stockhold.access.Principal;
import io.stockhold.access.Scope;
import io.stockhold.api.http.Problem.FieldError;
import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockReply.Unavailable;
import io.stockhold.transfer.TransferReply;
import io.stockhold.transfer.Transfers;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /v1/transfers}: units moved between two locations, shipped at one and received at the
 * other. A key needs {@code stock:write} at both to ship or receive, {@code stock:read} at both to
 * look; a transfer it may not see is not found.
 */
final class TransferRoutes extends ApiDirectives {

  record TransferBody(
      String transferId,
      String from,
      String to,
      String sku,
      long quantity,
      String status,
      Long receivedQuantity) {
    static TransferBody of(TransferReply.View v) {
      return new TransferBody(
          v.transferId(),
          v.from(),
          v.to(),
          v.sku(),
          v.quantity(),
          v.status(),
          v.receivedQuantity());
    }
  }

  private final Transfers transfers;

  TransferRoutes(Transfers transfers, Access access) {
    super(access);
    this.transfers = transfers;
  }

  Route route() {
    return pathPrefix(
        "transfers",
        () ->
            concat(
                pathEndOrSingleSlash(() -> post(this::ship)),
                pathPrefix(
                    id ->
                        concat(
                            pathEndOrSingleSlash(
                                () ->
                                    get(
                                        () ->
                                            allowed(Scope.STOCK_READ, List.of(), p -> get(id, p)))),
                            path(
                                "receive",
                                () ->
                                    post(
                                        () ->
                                            allowed(
                                                Scope.STOCK_WRITE,
                                                List.of(),
                                                p -> receive(id, p))))))));
  }

  private Route ship() {
    return jsonBody(
        body -> {
          List<FieldError> errors = new ArrayList<>();
          JsonInput in = JsonInput.body(body, errors);
          String transferId = null;
          String from = null;
          String to = null;
          String sku = null;
          Long quantity = null;
          if (in != null) {
            in.allowOnly(Set.of("transferId", "from", "to", "sku", "quantity"));
            transferId =
                in.string(
                    "transferId",
                    true,
                    id -> Transfers.TRANSFER_ID.matcher(id).matches(),
                    "must match " + Transfers.TRANSFER_ID.pattern());
            from =
                in.string(
                    "from",
                    true,
                    StockItemId::isLocation,
                    "must match " + StockItemId.LOCATION.pattern());
            to =
                in.string(
                    "to",
                    true,
                    StockItemId::isLocation,
                    "must match " + StockItemId.LOCATION.pattern());
            sku =
                in.string(
                    "sku", true, StockItemId::isSku, "must match " + StockItemId.SKU.pattern());
            quantity = in.integer("quantity", true, 1, MAX_UNITS);
            if (from != null && from.equals(to)) {
              errors.add(new FieldError("/to", "must be another location than from"));
            }
          }
          if (!errors.isEmpty()) return completeProblem(Problem.invalid(errors));
          String id = transferId;
          String source = from;
          String destination = to;
          String item = sku;
          long units = quantity;
          return allowed(
              Scope.STOCK_WRITE,
              List.of(from, to),
              principal ->
                  answer(
                      transfers.ship(id, source, destination, item, units, principal.actor()),
                      true));
        });
  }

  private Route get(String transferId, Principal principal) {
    return completeWithFuture(
        visible(transferId, principal, Scope.STOCK_READ).thenApply(r -> response(r, false)));
  }

  private Route receive(String transferId, Principal principal) {
    return jsonBody(
        body -> {
          List<FieldError> errors = new ArrayList<>();
          JsonInput in = JsonInput.body(body, errors);
          Long quantity = null;
          if (in != null) {
            in.allowOnly(Set.of("quantity"));
            quantity = in.integer("quantity", true, 0, MAX_UNITS);
          }
          if (!errors.isEmpty()) return completeProblem(Problem.invalid(errors));
          long units = quantity;
          return completeWithFuture(
              visible(transferId, principal, Scope.STOCK_WRITE)
                  .thenCompose(
                      seen ->
                          seen instanceof TransferReply.View
                              ? transfers.receive(transferId, units, principal.actor())
                              : CompletableFuture.completedFuture(seen))
                  .thenApply(r -> response(r, false)));
        });
  }

  /**
   * The transfer, when {@code principal} holds {@code scope} at both its locations; otherwise not
   * found, as if there were none.
   */
  private CompletionStage<TransferReply> visible(
      String transferId, Principal principal, Scope scope) {
    if (!Transfers.TRANSFER_ID.matcher(transferId).matches()) {
      return CompletableFuture.completedFuture(notFound(transferId));
    }
    return transfers
        .get(transferId)
        .thenApply(
            r ->
                r instanceof TransferReply.View v
                        && access.denial(principal, scope, List.of(v.from(), v.to())).isPresent()
                    ? notFound(transferId)
                    : r);
  }

  private static TransferReply notFound(String transferId) {
    return new TransferReply.Refused(Rejection.TRANSFER_NOT_FOUND, "no transfer " + transferId, 0);
  }

  private Route answer(CompletionStage<TransferReply> reply, boolean shipping) {
    return completeWithFuture(reply.thenApply(r -> response(r, shipping)));
  }

  /** A transfer's answer as a response: 201 for the request that shipped it, 200 otherwise. */
  private static HttpResponse response(TransferReply reply, boolean shipping) {
    return switch (reply) {
      case TransferReply.View v -> {
        if (!(shipping && v.created())) yield json(200, TransferBody.of(v));
        yield json(201, TransferBody.of(v))
            .addHeader(Location.create("/v1/transfers/" + v.transferId()));
      }
      // too few units free says how many there are in its detail
      case TransferReply.Refused r ->
          Problem.from(new Rejected(r.reason(), r.detail(), r.available())).toResponse();
      case TransferReply.NotNow n ->
          Problem.from(new Unavailable(n.reason(), n.detail())).toResponse();
    };
  }
}
