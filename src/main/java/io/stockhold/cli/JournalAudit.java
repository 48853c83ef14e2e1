package io.stockhold.cli;

import com.typesafe.config.Config;
import io.stockhold.readmodel.StockJournal;
import io.stockhold.reservation.CartAudit;
import io.stockhold.stock.StockAudit;
import io.stockhold.stock.StockEvent;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code stockhold verify}: reads every stock item's journal (embedded or PostgreSQL), replays it
 * through {@link StockAudit} (and the carts across items through {@link CartAudit}) and reports.
 * Independent of the running engine's own counters.
 */
public final class JournalAudit {

  /**
   * What the whole journal showed: each item's audit, and what the carts (and kits) held across
   * items broke.
   */
  public record Report(List<StockAudit> items, List<StockAudit.Violation> carts) {
    public Report(List<StockAudit> items) {
      this(items, List.of());
    }

    public List<StockAudit.Violation> violations() {
      List<StockAudit.Violation> all = new ArrayList<>();
      items.forEach(i -> all.addAll(i.violations()));
      all.addAll(carts);
      return all;
    }

    public boolean clean() {
      return violations().isEmpty();
    }

    public long unitsCommitted() {
      return items.stream().mapToLong(StockAudit::unitsCommitted).sum();
    }

    public long holdsPlaced() {
      return items.stream().mapToLong(StockAudit::holdsPlaced).sum();
    }
  }

  private JournalAudit() {}

  /** Audits the journal of the store {@code config} names, with a local (non-cluster) system. */
  public static Report run(Config config) throws Exception {
    List<StockAudit> audits = new ArrayList<>();
    CartAudit carts = new CartAudit();
    StockJournal.read(
        config,
        "stockhold-verify",
        new StockJournal.Reader() {
          private StockAudit audit;

          @Override
          public void item(String persistenceId) {
            audit = new StockAudit(persistenceId);
            audits.add(audit);
          }

          @Override
          public void event(long sequenceNr, StockEvent event) {
            audit.check(sequenceNr, event);
            carts.check(audit.persistenceId(), sequenceNr, event);
          }
        });
    audits.forEach(StockAudit::finish);
    return new Report(audits, carts.violations());
  }

  /**
   * Prints a per-item table (the first {@code limit} items), totals and every violation. Holds,
   * released and expired count holds; committed counts units, as onHand and reserved do.
   */
  public static void print(Report report, int limit, PrintStream out) {
    out.printf(
        "%-40s %8s %8s %15s %9s %8s %8s %9s %10s%n",
        "stock item",
        "events",
        "holds",
        "units committed",
        "released",
        "expired",
        "onHand",
        "reserved",
        "violations");
    report.items().stream()
        .sorted(
            Comparator.comparing((StockAudit a) -> a.violations().isEmpty())
                .thenComparing(StockAudit::persistenceId))
        .limit(limit)
        .forEach(
            a ->
                out.printf(
                    "%-40s %8d %8d %15d %9d %8d %8d %9d %10d%n",
                    a.persistenceId().substring(a.persistenceId().indexOf('|') + 1),
                    a.events(),
                    a.holdsPlaced(),
                    a.unitsCommitted(),
                    a.holdsReleased(),
                    a.holdsExpired(),
                    a.onHand(),
                    a.reserved(),
                    a.violations().size()));
    int more = report.items().size() - limit;
    if (more > 0) out.printf("... and %d more item%s%n", more, more == 1 ? "" : "s");
    out.printf(
        "%d stock items, %d events, %d holds placed, %d units committed%n",
        report.items().size(),
        report.items().stream().mapToLong(StockAudit::events).sum(),
        report.holdsPlaced(),
        report.unitsCommitted());
    for (StockAudit.Violation v : report.violations()) {
      out.printf("VIOLATION %s #%d: %s%n", v.persistenceId(), v.sequenceNr(), v.what());
    }
    out.println(
        report.clean()
            ? "verify: OK, no invariant violated"
            : "verify: FAILED, " + report.violations().size() + " violations");
  }
}
