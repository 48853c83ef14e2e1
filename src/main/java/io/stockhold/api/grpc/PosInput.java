package io.stockhold.api.grpc;

import io.stockhold.api.grpc.v1.Pos;
import io.stockhold.idempotency.Idempotency;
import io.stockhold.reservation.ReservationService;
import io.stockhold.stock.StockItemId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What the POS service accepts, checked before anything reaches an item. Protobuf has no "missing":
 * an empty string or a 0 is how a field is left out, so each check says which it allows. Every
 * problem names its field as the .proto spells it.
 */
final class PosInput {

  /** A terminal's id: visible ASCII, as an idempotency key, but short enough to log. */
  static final Pattern TERMINAL = Pattern.compile("[\\x21-\\x7E]{1,64}");

  /** A terminal's clock may run ahead; beyond this a sale time is a mistake. */
  static final long MAX_SOLD_AT_AHEAD_MS = 3_600_000;

  private final List<String> problems = new ArrayList<>();

  List<String> problems() {
    return problems;
  }

  boolean ok() {
    return problems.isEmpty();
  }

  void problem(String field, String what) {
    problems.add(field + ": " + what);
  }

  String location(String field, String value) {
    if (value.isEmpty()) problem(field, "required");
    else if (!StockItemId.isLocation(value))
      problem(field, "must match " + StockItemId.LOCATION.pattern());
    return value;
  }

  String sku(String field, String value) {
    if (value.isEmpty()) problem(field, "required");
    else if (!StockItemId.isSku(value)) problem(field, "must match " + StockItemId.SKU.pattern());
    return value;
  }

  long quantity(String field, long value) {
    if (value < 1 || value > ReservationService.MAX_LINE_QUANTITY)
      problem(field, "must be between 1 and " + ReservationService.MAX_LINE_QUANTITY);
    return value;
  }

  /** Empty is allowed (a request that is not safe to retry); otherwise an idempotency key. */
  void requestId(String value) {
    if (!value.isEmpty() && !Idempotency.KEY.matcher(value).matches()) {
      problem("request_id", "must be 1 to 255 visible ASCII characters");
    }
  }

  /** Empty is allowed (no customer named); otherwise the shop's id for the buyer. */
  void customerId(String value) {
    if (!value.isEmpty() && !ReservationService.CUSTOMER_ID.matcher(value).matches()) {
      problem("customer_id", "must match " + ReservationService.CUSTOMER_ID.pattern());
    }
  }

  void terminalId(String field, String value, boolean required) {
    if (value.isEmpty()) {
      if (required) problem(field, "required");
    } else if (!TERMINAL.matcher(value).matches()) {
      problem(field, "must be 1 to 64 visible ASCII characters");
    }
  }

  /** 0 means the POS default; otherwise 1..86400 seconds. */
  void ttlSeconds(int value) {
    if (value < 0 || value > ReservationService.MAX_TTL_SECONDS) {
      problem(
          "ttl_seconds",
          "must be between 1 and "
              + ReservationService.MAX_TTL_SECONDS
              + ", or 0 for the POS default");
    }
  }

  /** 1..100 lines, each naming a different item. */
  List<Pos.Line> lines(List<Pos.Line> lines) {
    if (lines.isEmpty() || lines.size() > ReservationService.MAX_LINES) {
      problem(
          "lines",
          "must have 1 to " + ReservationService.MAX_LINES + " lines, not " + lines.size());
      return lines;
    }
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      Pos.Line line = lines.get(i);
      String at = "lines[" + i + "]";
      boolean fromPool = !line.getPool().isEmpty();
      if (fromPool == !line.getLocation().isEmpty()) {
        problem(at, "must name either a location or a pool");
        continue;
      }
      if (!fromPool && line.hasSplit()) problem(at + ".split", "only for a pool line");
      if (line.getAllowBackorder() && fromPool) {
        problem(at + ".allow_backorder", "a pool line cannot wait for stock; name a location");
      }
      String place =
          fromPool
              ? location(at + ".pool", line.getPool())
              : location(at + ".location", line.getLocation());
      String sku = sku(at + ".sku", line.getSku());
      quantity(at + ".quantity", line.getQuantity());
      Integer first = seen.putIfAbsent((fromPool ? "pool:" : "") + place + "/" + sku, i);
      if (first != null) problem(at, "names the same stock item as lines[" + first + "]");
    }
    return lines;
  }

  String reservationId(String value) {
    if (value.isEmpty()) problem("reservation_id", "required");
    return value;
  }

  List<String> skus(List<String> skus, int max) {
    if (skus.size() > max) problem("skus", "at most " + max + " skus, not " + skus.size());
    for (int i = 0; i < skus.size() && problems.size() < 10; i++)
      sku("skus[" + i + "]", skus.get(i));
    return skus;
  }

  void sale(Pos.OfflineSale sale, Instant now) {
    if (sale.getSaleId().isEmpty()) problem("sale_id", "required");
    else if (!Idempotency.KEY.matcher(sale.getSaleId()).matches()) {
      problem("sale_id", "must be 1 to 255 visible ASCII characters");
    }
    terminalId("terminal_id", sale.getTerminalId(), true);
    location("location", sale.getLocation());
    sku("sku", sale.getSku());
    quantity("quantity", sale.getQuantity());
    if (sale.getSoldAtEpochMs() <= 0)
      problem("sold_at_epoch_ms", "required (milliseconds since the epoch)");
    else if (sale.getSoldAtEpochMs() > now.toEpochMilli() + MAX_SOLD_AT_AHEAD_MS) {
      problem("sold_at_epoch_ms", "is more than an hour ahead of the server's clock");
    }
  }
}
