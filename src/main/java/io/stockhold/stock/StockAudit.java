package io.stockhold.stock;

import io.stockhold.stock.StockEvent.HoldCommitted;
import io.stockhold.stock.StockEvent.HoldExpired;
import io.stockhold.stock.StockEvent.HoldExtended;
import io.stockhold.stock.StockEvent.HoldPlaced;
import io.stockhold.stock.StockEvent.HoldReleased;
import io.stockhold.stock.StockEvent.LowStockCrossed;
import io.stockhold.stock.StockEvent.OfflineSaleRecorded;
import io.stockhold.stock.StockEvent.PolicyChanged;
import io.stockhold.stock.StockEvent.ShortageDetected;
import io.stockhold.stock.StockEvent.StockAdjusted;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Replays one stock item's journal independently of {@link StockState} and checks the invariants at
 * every event: no hold granted beyond what was available, {@code reserved} (kept as the sum of the
 * active holds, in constant time per event) equal to the event's, every hold ended at most once and
 * never committed after its deadline, the quantities each event carries equal to the replayed ones,
 * sequence numbers without a gap.
 */
public final class StockAudit {

  public record Violation(String persistenceId, long sequenceNr, String what) {}

  private record ActiveHold(long quantity, Instant expiresAt) {}

  private final String persistenceId;
  private final List<Violation> violations = new ArrayList<>();
  private final Map<String, ActiveHold> active = new HashMap<>();
  private final Set<String> ended = new HashSet<>();
  private final Set<String> salesRecorded = new HashSet<>();
  private long lastSequenceNr;
  private long onHand;
  private long reserved;
  private long safetyStock;
  private long events;
  private long holdsPlaced;
  private long unitsCommitted;
  private long holdsReleased;
  private long holdsExpired;
  private long unitsSoldOffline;

  public StockAudit(String persistenceId) {
    this.persistenceId = persistenceId;
  }

  public void check(long sequenceNr, StockEvent event) {
    events++;
    if (sequenceNr != lastSequenceNr + 1) {
      violate(sequenceNr, "sequence number follows " + lastSequenceNr);
    }
    lastSequenceNr = sequenceNr;
    switch (event) {
      case StockAdjusted e -> {
        onHand += e.delta();
        // onHand may already be negative (a hold committed during a shortage); only a decrease
        // into the negative is refused by the rules.
        if (e.delta() < 0 && onHand < 0)
          violate(sequenceNr, "an adjustment took onHand to " + onHand);
      }
      case PolicyChanged e -> safetyStock = e.safetyStock();
      case HoldPlaced e -> {
        long available = StockState.available(onHand, reserved, safetyStock);
        // Holds past their deadline but not yet expired are not counted (an item expires a
        // bounded number per write): only then, look for them.
        if (e.quantity() > available) {
          available = StockState.available(onHand, reserved - lapsed(e.occurredAt()), safetyStock);
        }
        if (e.quantity() <= 0)
          violate(sequenceNr, "hold " + e.holdId() + " of " + e.quantity() + " units");
        if (e.quantity() > available) {
          violate(
              sequenceNr,
              "hold "
                  + e.holdId()
                  + " granted "
                  + e.quantity()
                  + " units with "
                  + available
                  + " available");
        }
        if (active.containsKey(e.holdId()) || ended.contains(e.holdId())) {
          violate(sequenceNr, "hold " + e.holdId() + " placed twice");
        }
        active.put(e.holdId(), new ActiveHold(e.quantity(), e.expiresAt()));
        reserved += e.quantity();
        holdsPlaced++;
      }
      case HoldCommitted e -> {
        ActiveHold hold = end(sequenceNr, e.holdId(), e.quantity());
        if (hold != null && !e.occurredAt().isBefore(hold.expiresAt())) {
          violate(
              sequenceNr,
              "hold "
                  + e.holdId()
                  + " committed at "
                  + e.occurredAt()
                  + ", after its deadline "
                  + hold.expiresAt());
        }
        onHand -= e.quantity();
        unitsCommitted += e.quantity();
      }
      case HoldReleased e -> {
        end(sequenceNr, e.holdId(), e.quantity());
        holdsReleased++;
      }
      case HoldExpired e -> {
        ActiveHold hold = end(sequenceNr, e.holdId(), e.quantity());
        if (hold != null && e.occurredAt().isBefore(hold.expiresAt())) {
          violate(sequenceNr, "hold " + e.holdId() + " expired before its deadline");
        }
        holdsExpired++;
      }
      case HoldExtended e -> {
        ActiveHold hold = active.get(e.holdId());
        if (hold == null) violate(sequenceNr, "extends hold " + e.holdId() + " that is not active");
        else active.put(e.holdId(), new ActiveHold(hold.quantity(), e.expiresAt()));
      }
      case LowStockCrossed e -> {}
      case ShortageDetected e -> {}
      case OfflineSaleRecorded e -> {
        // The one way onHand may go below 0 (besides a commit during a shortage): the units left.
        if (e.quantity() <= 0)
          violate(sequenceNr, "offline sale " + e.saleId() + " of " + e.quantity() + " units");
        if (!salesRecorded.add(e.saleId()))
          violate(sequenceNr, "offline sale " + e.saleId() + " recorded twice");
        onHand -= e.quantity();
        unitsSoldOffline += e.quantity();
      }
    }
    long available = StockState.available(onHand, reserved, safetyStock);
    if (event.onHand() != onHand
        || event.reserved() != reserved
        || event.available() != available) {
      violate(
          sequenceNr,
          "event says onHand/reserved/available "
              + event.onHand()
              + "/"
              + event.reserved()
              + "/"
              + event.available()
              + ", replay says "
              + onHand
              + "/"
              + reserved
              + "/"
              + available);
    }
  }

  private ActiveHold end(long sequenceNr, String holdId, long quantity) {
    ActiveHold hold = active.remove(holdId);
    if (hold == null) {
      violate(
          sequenceNr,
          "ends hold "
              + holdId
              + (ended.contains(holdId) ? " a second time" : " that was never placed"));
      return null;
    }
    if (hold.quantity() != quantity)
      violate(sequenceNr, "hold " + holdId + " ends with another quantity");
    ended.add(holdId);
    reserved -= hold.quantity();
    return hold;
  }

  private void violate(long sequenceNr, String what) {
    violations.add(new Violation(persistenceId, sequenceNr, what));
  }

  /** Units of the active holds whose deadline is not after {@code at}. */
  private long lapsed(Instant at) {
    long units = 0;
    for (ActiveHold hold : active.values()) {
      if (!hold.expiresAt().isAfter(at)) units += hold.quantity();
    }
    return units;
  }

  public String persistenceId() {
    return persistenceId;
  }

  public List<Violation> violations() {
    return violations;
  }

  public long events() {
    return events;
  }

  public long holdsPlaced() {
    return holdsPlaced;
  }

  public long unitsCommitted() {
    return unitsCommitted;
  }

  public long holdsReleased() {
    return holdsReleased;
  }

  public long holdsExpired() {
    return holdsExpired;
  }

  public long unitsSoldOffline() {
    return unitsSoldOffline;
  }

  public long onHand() {
    return onHand;
  }

  public long reserved() {
    return reserved;
  }

  public int activeHolds() {
    return active.size();
  }
}
