package io.stockhold.chaos;

import io.stockhold.chaos.History.Line;
import io.stockhold.chaos.History.Operation;
import io.stockhold.chaos.History.Outcome;
import io.stockhold.idempotency.Idempotency;
import io.stockhold.reservation.ReservationIds;
import io.stockhold.stock.StockAudit;
import io.stockhold.stock.StockEvent;
import io.stockhold.stock.StockItemId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The checks of a chaos run, over what the run left: the history of every call, the journal, the
 * message ids that reached RabbitMQ, the read model's convergence, and the fault windows. Each
 * check gives a verdict and the figures behind it. Pure: the run gathers the inputs ({@link
 * Journal}, message ids), so a test can plant a violation in a copy and see it reported.
 */
final class ChaosChecks {

  /** One check's verdict. {@code reportOnly}: reported, never a failure (availability). */
  record Check(int number, String name, boolean pass, boolean reportOnly, String figures) {
    String line() {
      return "check "
          + number
          + ": "
          + (reportOnly ? "REPORT" : pass ? "PASS" : "FAIL")
          + " — "
          + name
          + ": "
          + figures;
    }

    /** The same verdict with a note before its figures. */
    Check withNote(String note) {
      return new Check(number, name, pass, reportOnly, note + "; " + figures);
    }
  }

  /** A fault as it was run: when it was injected and healed, and what happened. */
  record FaultWindow(String name, Instant injected, Instant healed, String detail) {}

  /**
   * The journal as the checks need it: every event of the run's items in order per item, and the
   * audit of each item (the invariants at every event).
   */
  static final class Journal {
    final Map<String, List<StockEvent>> events = new TreeMap<>();
    final List<StockAudit> audits = new ArrayList<>();

    void item(String persistenceId) {
      events.put(persistenceId, new ArrayList<>());
      audits.add(new StockAudit(persistenceId));
    }

    void event(String persistenceId, long sequenceNr, StockEvent event) {
      events.get(persistenceId).add(event);
      audits.getLast().check(sequenceNr, event);
    }
  }

  private ChaosChecks() {}

  /** Check 1: every invariant at every event of the journal. */
  static Check invariants(Journal journal) {
    journal.audits.forEach(StockAudit::finish);
    List<StockAudit.Violation> violations =
        journal.audits.stream().flatMap(a -> a.violations().stream()).toList();
    long events = journal.audits.stream().mapToLong(StockAudit::events).sum();
    String figures =
        String.format(
            Locale.ROOT,
            "%,d events of %d items replayed, %d violations",
            events,
            journal.audits.size(),
            violations.size());
    if (!violations.isEmpty()) figures += "; first: " + violations.getFirst();
    return new Check(1, "verify over the journal", violations.isEmpty(), false, figures);
  }

  /** What became of one item-side hold: how often it was placed, committed and ended. */
  private static final class Fate {
    final String item;
    int placed;
    int committed;
    int ended;

    Fate(String item) {
      this.item = item;
    }

    @Override
    public String toString() {
      return item + " placed " + placed + ", committed " + committed + ", ended " + ended;
    }
  }

  /**
   * A reservation's holds by hold id. A cart's holds are named {@code <key>-<attempt>-<line>}: a
   * cart asked again after it was refused (a retry whose first try found a line short) makes a new
   * attempt with new holds, after the last attempt's were released.
   */
  private static final class Holds {
    final Map<String, Fate> byId = new TreeMap<>();

    int lastAttempt() {
      return byId.keySet().stream().mapToInt(ChaosChecks::attempt).max().orElse(-1);
    }

    /** The holds of the last attempt, item to fate. */
    Map<String, Fate> current() {
      int last = lastAttempt();
      Map<String, Fate> current = new TreeMap<>();
      byId.forEach(
          (id, f) -> {
            if (attempt(id) == last) current.put(f.item, f);
          });
      return current;
    }

    /** Earlier attempts' holds that were committed or never ended. */
    List<String> leftOver() {
      int last = lastAttempt();
      List<String> left = new ArrayList<>();
      byId.forEach(
          (id, f) -> {
            if (attempt(id) != last && (f.committed > 0 || f.ended == 0)) left.add(id);
          });
      return left;
    }
  }

  /** A cart hold's attempt ({@code <key>-<attempt>-<line>}); 0 for a single-line hold. */
  static int attempt(String holdId) {
    String[] parts = holdId.split("-");
    if (parts.length < 3) return 0;
    try {
      return Integer.parseInt(parts[parts.length - 2]);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * Check 2: every acknowledged write is in the journal exactly once, no refused one is, no sale is
   * counted that was not asked for, and every write without an answer is classified: applied once
   * or not at all.
   */
  static Check acknowledgedWrites(List<Operation> history, Journal journal) {
    Map<String, Holds> reservations = new HashMap<>();
    Map<String, Integer> adjustments = new HashMap<>();
    Map<String, Integer> sales = new HashMap<>();
    for (List<StockEvent> events : journal.events.values()) {
      for (StockEvent e : events) {
        String item = e.location() + "/" + e.sku();
        switch (e) {
          case StockEvent.HoldPlaced p ->
              fate(reservations, p.reservationId(), p.holdId(), item).placed++;
          case StockEvent.HoldCommitted c ->
              fate(reservations, c.reservationId(), c.holdId(), item).committed++;
          case StockEvent.HoldReleased r ->
              fate(reservations, r.reservationId(), r.holdId(), item).ended++;
          case StockEvent.HoldExpired x ->
              fate(reservations, x.reservationId(), x.holdId(), item).ended++;
          case StockEvent.StockAdjusted a when a.adjustmentId() != null ->
              adjustments.merge(a.adjustmentId(), 1, Integer::sum);
          case StockEvent.OfflineSaleRecorded r -> sales.merge(r.saleId(), 1, Integer::sum);
          default -> {}
        }
      }
    }
    List<String> failures = new ArrayList<>();
    Map<String, Long> tally = new TreeMap<>();
    Map<String, Boolean> commitAsked = new HashMap<>();
    for (Operation op : history) {
      String verdict =
          switch (op.kind()) {
            case "hold", "cart" -> reservation(op, reservations);
            case "adjust" -> adjustment(op, adjustments);
            case "sale" -> offlineSale(op, sales.getOrDefault(op.key(), 0));
            case "commit" -> {
              if (op.outcome() != Outcome.REFUSED) commitAsked.put(op.reservationId(), true);
              yield commit(op, reservations.get(op.reservationId()));
            }
            case "release" -> release(op, reservations.get(op.reservationId()));
            default -> "other";
          };
      if (verdict.startsWith("FAIL")) failures.add("op " + op.op() + " " + verdict.substring(5));
      else tally.merge(op.kind() + " " + verdict, 1L, Long::sum);
    }
    reservations.forEach(
        (id, holds) ->
            holds.byId.forEach(
                (holdId, f) -> {
                  if (f.placed > 1 || f.committed > 1 || f.ended > 1 || f.committed + f.ended > 1) {
                    failures.add(
                        "hold "
                            + holdId
                            + " placed "
                            + f.placed
                            + ", committed "
                            + f.committed
                            + ", ended "
                            + f.ended
                            + " times");
                  }
                  // A sale nobody asked for, or one whose commit was refused, counted all the same.
                  if (f.committed > 0 && !commitAsked.containsKey(id)) {
                    failures.add(id + " committed without an acknowledged or unanswered commit");
                  }
                }));
    StringBuilder figures = new StringBuilder();
    tally.forEach((k, v) -> figures.append(String.format(Locale.ROOT, "%s %,d; ", k, v)));
    figures.append(failures.size()).append(" failures");
    if (!failures.isEmpty()) {
      figures
          .append(": ")
          .append(String.join("; ", failures.subList(0, Math.min(5, failures.size()))));
    }
    return new Check(
        2, "acknowledged writes exactly once", failures.isEmpty(), false, figures.toString());
  }

  private static Fate fate(
      Map<String, Holds> into, String reservationId, String holdId, String item) {
    return into.computeIfAbsent(reservationId, k -> new Holds())
        .byId
        .computeIfAbsent(holdId, k -> new Fate(item));
  }

  /**
   * A hold's or cart's verdict, by its reservation id (from the answer, or derived from its key as
   * the node derives it): whether its last attempt holds each line once and earlier attempts were
   * released.
   */
  private static String reservation(Operation op, Map<String, Holds> reservations) {
    String id = op.reservationId() != null ? op.reservationId() : reservationId(op);
    Holds holds = reservations.getOrDefault(id, new Holds());
    Map<String, Fate> current = holds.current();
    boolean eachLineOnce =
        current.size() == op.lines().size()
            && op.lines().stream()
                .allMatch(l -> current.containsKey(l.item()) && current.get(l.item()).placed == 1);
    List<String> leftOver = holds.leftOver();
    if (!leftOver.isEmpty())
      return "FAIL " + id + ": earlier attempts' holds not released " + leftOver;
    boolean allEnded = current.values().stream().allMatch(f -> f.ended > 0 && f.committed == 0);
    return switch (op.outcome()) {
      case OK ->
          eachLineOnce
              ? "acknowledged, journaled once"
              : "FAIL acknowledged " + id + " " + current.keySet();
      case REFUSED -> {
        if (op.kind().equals("hold")) {
          yield holds.byId.isEmpty() ? "refused" : "FAIL refused hold " + id + " is in the journal";
        }
        // A refused cart may have held some lines before another was short: released at once.
        yield allEnded ? "refused" : "FAIL refused cart " + id + " left holds " + current.keySet();
      }
      case UNKNOWN -> {
        if (holds.byId.isEmpty() || op.kind().equals("cart") && allEnded && !eachLineOnce) {
          yield "unanswered, not applied";
        }
        yield eachLineOnce
            ? "unanswered, applied once"
            : "FAIL unanswered " + id + " of " + op.lines().size() + " lines " + current.values();
      }
    };
  }

  private static String adjustment(Operation op, Map<String, Integer> adjustments) {
    String id = Idempotency.operationId(Idempotency.ADJUSTMENTS, op.principal(), op.key());
    int n = adjustments.getOrDefault(id, 0);
    return switch (op.outcome()) {
      case OK -> n == 1 ? "acknowledged, journaled once" : "FAIL acknowledged, journaled " + n;
      case REFUSED -> n == 0 ? "refused" : "FAIL refused, journaled " + n;
      case UNKNOWN ->
          n == 0
              ? "unanswered, not applied"
              : n == 1 ? "unanswered, applied once" : "FAIL unanswered, journaled " + n;
    };
  }

  /** An offline sale is recorded once by its sale id, however often a till sent it. */
  private static String offlineSale(Operation op, int recorded) {
    return switch (op.outcome()) {
      case OK ->
          recorded == 1
              ? "acknowledged, journaled once"
              : "FAIL acknowledged sale, journaled " + recorded;
      case REFUSED -> recorded == 0 ? "refused" : "FAIL refused sale, journaled " + recorded;
      case UNKNOWN ->
          recorded == 0
              ? "unanswered, not applied"
              : recorded == 1
                  ? "unanswered, applied once"
                  : "FAIL unanswered sale, journaled " + recorded;
    };
  }

  private static String commit(Operation op, Holds holds) {
    Map<String, Fate> current = holds == null ? Map.of() : holds.current();
    long committed = current.values().stream().filter(f -> f.committed == 1).count();
    boolean none = current.values().stream().allMatch(f -> f.committed == 0);
    boolean all = !current.isEmpty() && committed == current.size();
    return switch (op.outcome()) {
      case OK ->
          all
              ? "acknowledged, every line committed once"
              : "FAIL acknowledged commit of "
                  + op.reservationId()
                  + " committed "
                  + committed
                  + " of "
                  + current.size();
      case REFUSED -> none ? "refused" : "FAIL refused commit, yet committed " + op.reservationId();
      case UNKNOWN ->
          none
              ? "unanswered, not applied"
              : all
                  ? "unanswered, applied once"
                  : "FAIL unanswered commit half applied " + op.reservationId();
    };
  }

  private static String release(Operation op, Holds holds) {
    if (op.outcome() != Outcome.OK)
      return op.outcome() == Outcome.REFUSED ? "refused" : "unanswered";
    Map<String, Fate> current = holds == null ? Map.of() : holds.current();
    if (current.values().stream().anyMatch(f -> f.committed > 0)) {
      return "FAIL acknowledged release of a committed " + op.reservationId();
    }
    return !current.isEmpty() && current.values().stream().allMatch(f -> f.ended == 1)
        ? "acknowledged, every line ended once"
        : "FAIL release of " + op.reservationId() + " left a hold";
  }

  /** The reservation id the node gives a request with this key: derived, never stored. */
  static String reservationId(Operation op) {
    String operationId =
        Idempotency.operationId(Idempotency.RESERVATIONS, op.principal(), op.key());
    if (op.kind().equals("cart")) return ReservationIds.multiLine(operationId);
    Line line = op.lines().getFirst();
    return ReservationIds.singleLine(new StockItemId(line.location(), line.sku()), operationId);
  }

  /** Check 3: per item, the units committed never exceed the units stocked. */
  static Check committedWithinStocked(Journal journal) {
    List<String> over = new ArrayList<>();
    long stockedAll = 0;
    long committedAll = 0;
    long offlineAll = 0;
    for (Map.Entry<String, List<StockEvent>> item : journal.events.entrySet()) {
      long stocked = 0;
      long committed = 0;
      for (StockEvent e : item.getValue()) {
        if (e instanceof StockEvent.StockAdjusted a && a.delta() > 0) stocked += a.delta();
        if (e instanceof StockEvent.HoldCommitted c) committed += c.quantity();
        // A till's offline sale happened whatever the item had: it may oversell (a shortage the
        // item flags), so it is counted beside the commits, not among them.
        if (e instanceof StockEvent.OfflineSaleRecorded s) offlineAll += s.quantity();
      }
      stockedAll += stocked;
      committedAll += committed;
      if (committed > stocked) over.add(item.getKey() + " " + committed + " > " + stocked);
    }
    return new Check(
        3,
        "committed ≤ stocked per item",
        over.isEmpty(),
        false,
        String.format(
                Locale.ROOT,
                "%,d units stocked, %,d committed (and %,d sold offline) over %d items; %d items"
                    + " over",
                stockedAll,
                committedAll,
                offlineAll,
                journal.events.size(),
                over.size())
            + (over.isEmpty() ? "" : ": " + over));
  }

  /**
   * Check 4: every journaled event reached RabbitMQ, its message id {@code <persistenceId>:<seq>}
   * among those the harness's own queue received, with no gap in any item's sequence.
   */
  static Check erpComplete(Journal journal, Set<String> messageIds, long duplicates) {
    long expected = 0;
    List<String> missing = new ArrayList<>();
    for (Map.Entry<String, List<StockEvent>> item : journal.events.entrySet()) {
      for (long seq = 1; seq <= item.getValue().size(); seq++) {
        expected++;
        if (!messageIds.contains(item.getKey() + ":" + seq)) missing.add(item.getKey() + ":" + seq);
      }
    }
    return new Check(
        4,
        "every event reached RabbitMQ, no per-item gap",
        missing.isEmpty(),
        false,
        String.format(
                Locale.ROOT,
                "%,d events journaled, %,d distinct message ids received (%,d redelivered), %d"
                    + " missing",
                expected,
                messageIds.size(),
                duplicates,
                missing.size())
            + (missing.isEmpty()
                ? ""
                : "; first: " + missing.subList(0, Math.min(5, missing.size()))));
  }

  /** Check 5: the read model equals the items within 10 s of quiet. */
  static Check readModel(Duration converged, String detail) {
    boolean pass = converged != null && converged.compareTo(Duration.ofSeconds(10)) <= 0;
    return new Check(
        5,
        "read model equals the items within 10 s of quiet",
        pass,
        false,
        converged == null
            ? "not equal after 10 s: " + detail
            : String.format(
                Locale.ROOT, "equal after %.1f s (%s)", converged.toMillis() / 1000.0, detail));
  }

  /** Check 6: the share of requests answered (yes or a deciding no) in each fault window. */
  static Check availability(List<Operation> history, List<FaultWindow> faults) {
    StringBuilder figures = new StringBuilder();
    for (FaultWindow f : faults) {
      long all = 0;
      long answered = 0;
      for (Operation op : history) {
        if (op.callAt().isBefore(f.injected()) || op.callAt().isAfter(f.healed())) continue;
        all++;
        if (op.outcome() != Outcome.UNKNOWN) answered++;
      }
      figures.append(
          String.format(
              Locale.ROOT,
              "%s %s; ",
              f.name(),
              all == 0
                  ? "no requests"
                  : String.format(Locale.ROOT, "%.1f%% of %,d", 100.0 * answered / all, all)));
    }
    long answered = history.stream().filter(o -> o.outcome() != Outcome.UNKNOWN).count();
    figures.append(
        String.format(
            Locale.ROOT,
            "whole run %.1f%% of %,d",
            history.isEmpty() ? 0 : 100.0 * answered / history.size(),
            history.size()));
    return new Check(6, "availability per fault window", true, true, figures.toString());
  }
}
