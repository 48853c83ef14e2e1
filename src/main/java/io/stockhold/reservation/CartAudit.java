package io.stockhold.reservation;

import io.stockhold.stock.StockAudit.Violation;
import io.stockhold.stock.StockEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks across stock items what no single item can: a cart's (and so a kit's) lines are held
 * together and end together. Fed every item's events, it groups the holds of each attempt of each
 * multi-line reservation (their ids are {@code <key>-<attempt>-<line>}) and, at the end, finds any
 * attempt of which one line was committed while another was released or expired, or committed with
 * a line never held: units sold without the rest of their cart or kit. The items' journals do not
 * say how many lines a cart had, so a missing line is found only below the highest line held.
 */
public final class CartAudit {

  /** How a line's hold ended, as far as the journal says. */
  private enum End {
    ACTIVE,
    COMMITTED,
    GONE
  }

  private record Line(String persistenceId, long sequenceNr, End end) {}

  /** Holds by attempt ({@code <key>-<attempt>}) and line number. */
  private final Map<String, TreeMap<Integer, Line>> attempts = new HashMap<>();

  public void check(String persistenceId, long sequenceNr, StockEvent event) {
    switch (event) {
      case StockEvent.HoldPlaced e ->
          line(e.reservationId(), e.holdId(), persistenceId, sequenceNr, End.ACTIVE);
      case StockEvent.HoldCommitted e ->
          line(e.reservationId(), e.holdId(), persistenceId, sequenceNr, End.COMMITTED);
      case StockEvent.HoldReleased e ->
          line(e.reservationId(), e.holdId(), persistenceId, sequenceNr, End.GONE);
      case StockEvent.HoldExpired e ->
          line(e.reservationId(), e.holdId(), persistenceId, sequenceNr, End.GONE);
      default -> {}
    }
  }

  private void line(
      String reservationId, String holdId, String persistenceId, long sequenceNr, End end) {
    // single-line reservations are one hold: nothing to hold together
    if (reservationId == null || !reservationId.startsWith(ReservationIds.multiLine(""))) return;
    int dash = holdId.lastIndexOf('-');
    if (dash < 0) return;
    int index;
    try {
      index = Integer.parseInt(holdId.substring(dash + 1));
    } catch (NumberFormatException notACartLine) {
      return;
    }
    attempts
        .computeIfAbsent(holdId.substring(0, dash), k -> new TreeMap<>())
        .put(index, new Line(persistenceId, sequenceNr, end));
  }

  /** The attempts that sold some lines without the others. */
  public List<Violation> violations() {
    List<Violation> found = new ArrayList<>();
    for (Map.Entry<String, TreeMap<Integer, Line>> attempt : attempts.entrySet()) {
      TreeMap<Integer, Line> lines = attempt.getValue();
      Line committed = null;
      for (Line l : lines.values()) if (l.end() == End.COMMITTED) committed = l;
      if (committed == null) continue;
      for (int i = 0; i <= lines.lastKey(); i++) {
        Line l = lines.get(i);
        if (l == null) {
          found.add(
              new Violation(
                  committed.persistenceId(),
                  committed.sequenceNr(),
                  "cart " + attempt.getKey() + " committed without line " + i + " ever held"));
        } else if (l.end() == End.GONE) {
          found.add(
              new Violation(
                  l.persistenceId(),
                  l.sequenceNr(),
                  "cart "
                      + attempt.getKey()
                      + " line "
                      + i
                      + " released or expired while another of its lines was committed"));
        }
      }
    }
    return found;
  }
}
