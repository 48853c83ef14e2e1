package io.stockhold.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stockhold.stock.StockAudit.Violation;
import io.stockhold.stock.StockEvent;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Carts (and kits) across items: their lines are sold together or not at all. */
class CartAuditTest {

  private static final Instant T = Instant.parse("2026-12-08T10:00:00Z");

  private final CartAudit audit = new CartAudit();
  private long seq;

  private void placed(String key, int attempt, int line, String sku) {
    audit.check(
        "StockItem|s/" + sku,
        ++seq,
        new StockEvent.HoldPlaced(
            "s",
            sku,
            key + "-" + attempt + "-" + line,
            ReservationIds.multiLine(key),
            "web",
            1,
            T.plusSeconds(60),
            null,
            1,
            1,
            0,
            T));
  }

  private void ended(String key, int attempt, int line, String sku, boolean committed) {
    String holdId = key + "-" + attempt + "-" + line;
    String reservationId = ReservationIds.multiLine(key);
    audit.check(
        "StockItem|s/" + sku,
        ++seq,
        committed
            ? new StockEvent.HoldCommitted("s", sku, holdId, reservationId, 1, 0, 0, 0, T)
            : new StockEvent.HoldExpired("s", sku, holdId, reservationId, 1, 1, 0, 1, T));
  }

  @Test
  void aCartSoldWholeOrRefusedWholeIsFine() {
    placed("k1", 1, 0, "a");
    placed("k1", 1, 1, "b");
    ended("k1", 1, 0, "a", true);
    ended("k1", 1, 1, "b", true);
    // a refused attempt: one line held, then given back; the next attempt sold
    placed("k2", 1, 0, "a");
    ended("k2", 1, 0, "a", false);
    placed("k2", 2, 0, "a");
    placed("k2", 2, 1, "b");
    ended("k2", 2, 0, "a", true);
    ended("k2", 2, 1, "b", true);
    assertEquals(List.of(), audit.violations());
  }

  @Test
  void aLineLostWhileAnotherWasSoldIsFound() {
    placed("k3", 1, 0, "a");
    placed("k3", 1, 1, "b");
    ended("k3", 1, 0, "a", true);
    ended("k3", 1, 1, "b", false);
    placed("k4", 1, 0, "a");
    placed("k4", 1, 2, "c");
    ended("k4", 1, 0, "a", true);
    ended("k4", 1, 2, "c", true);
    List<String> found = audit.violations().stream().map(Violation::what).toList();
    assertEquals(2, found.size(), found.toString());
    assertTrue(found.stream().anyMatch(w -> w.contains("k3-1 line 1 released or expired")));
    assertTrue(found.stream().anyMatch(w -> w.contains("k4-1 committed without line 1")));
  }
}
