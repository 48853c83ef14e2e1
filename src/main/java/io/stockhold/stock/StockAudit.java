package io.stockhold.stock;

import io.stockhold.stock.StockEvent.BackorderFilled;
import io.stockhold.stock.StockEvent.HoldBackordered;
import io.stockhold.stock.StockEvent.HoldCommitted;
import io.stockhold.stock.StockEvent.HoldExpired;
import io.stockhold.stock.StockEvent.HoldExtended;
import io.stockhold.stock.StockEvent.HoldPlaced;
import io.stockhold.stock.StockEvent.HoldReleased;
import io.stockhold.stock.StockEvent.IncomingRecorded;
import io.stockhold.stock.StockEvent.LowStockCrossed;
import io.stockhold.stock.StockEvent.OfflineSaleRecorded;
import io.stockhold.stock.StockEvent.PolicyChanged;
import io.stockhold.stock.StockEvent.ShortageDetected;
import io.stockhold.stock.StockEvent.StockAdjusted;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Replays one stock item's journal independently of {@link StockState} and checks the invariants at
 * every event: no hold granted beyond what was available, {@code reserved} (kept as the sum of the
 * active holds, in constant time per event) equal to the event's, every hold ended at most once and
 * never committed after its deadline, the quantities each event carries equal to the replayed ones,
 * sequence numbers without a gap; on items with channel or customer rules, no hold took units kept
 * for another channel and no customer went above the limit. Backorders: none accepted beyond the
 * item's limit (plus the units incoming, with preorders), filled in arrival order and only with
 * free units, none left waiting while its units were free, and no new hold took units they wait
 * for. Transfers: units shipped only when free to sell and once per transfer; received at most
 * once, and no more than were shipped.
 */
public final class StockAudit {

  public record Violation(String persistenceId, long sequenceNr, String what) {}

  private record ActiveHold(long quantity, Instant expiresAt, String channel, String customerId) {
    ActiveHold until(Instant newExpiresAt) {
      return new ActiveHold(quantity, newExpiresAt, channel, customerId);
    }

    boolean liveAt(Instant at) {
      return expiresAt.isAfter(at);
    }
  }

  private record Purchase(String customerId, long quantity, Instant at) {}

  private final String persistenceId;
  private final List<Violation> violations = new ArrayList<>();
  private final Map<String, ActiveHold> active = new HashMap<>();
  private final Set<String> ended = new HashSet<>();
  private final Set<String> salesRecorded = new HashSet<>();
  private final Set<String> transfersShipped = new HashSet<>();
  private long lastSequenceNr;
  private long onHand;
  private long reserved;
  private long safetyStock;
  private SellingRules rules = SellingRules.NONE;

  /** Waiting backorders by hold id, in arrival order (no deadline yet). */
  private final LinkedHashMap<String, ActiveHold> waiting = new LinkedHashMap<>();

  private long backordered;

  /** Open incoming entries' units by id. */
  private final Map<String, Long> incoming = new HashMap<>();

  private long incomingTotal;

  /** Commits of holds that named a customer, oldest first. */
  private final List<Purchase> purchases = new ArrayList<>();

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
    // Fills follow the change that freed their units; once the next change comes, the first
    // backorder must not fit in the free units, or it was left waiting.
    if (!(event instanceof BackorderFilled)) checkNoneLeftWaiting(sequenceNr);
    switch (event) {
      case StockAdjusted e -> {
        onHand += e.delta();
        if (e.incomingId() != null) {
          Long expected = incoming.get(e.incomingId());
          if (expected == null) {
            violate(sequenceNr, "receipt for incoming " + e.incomingId() + " that is not open");
          } else {
            long left = Math.max(0, expected - e.delta());
            if (left == 0) incoming.remove(e.incomingId());
            else incoming.put(e.incomingId(), left);
            incomingTotal -= expected - left;
          }
        }
        // onHand may already be negative (a hold committed during a shortage); only a decrease
        // into the negative is refused by the rules.
        if (e.delta() < 0 && onHand < 0)
          violate(sequenceNr, "an adjustment took onHand to " + onHand);
      }
      case PolicyChanged e -> {
        safetyStock = e.safetyStock();
        rules = e.rules();
      }
      case HoldPlaced e -> {
        long available = StockState.available(onHand, reserved + backordered, safetyStock);
        // Holds past their deadline but not yet expired are not counted (an item expires a
        // bounded number per write): only then, look for them.
        if (e.quantity() > available) {
          available =
              StockState.available(
                  onHand, reserved - lapsed(e.occurredAt()) + backordered, safetyStock);
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
        if (rules.any()) checkRules(sequenceNr, e);
        active.put(
            e.holdId(), new ActiveHold(e.quantity(), e.expiresAt(), e.channel(), e.customerId()));
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
        if (hold != null && hold.customerId() != null) {
          purchases.add(new Purchase(hold.customerId(), e.quantity(), e.occurredAt()));
        }
      }
      case HoldReleased e -> {
        ActiveHold waited = waiting.remove(e.holdId());
        if (waited != null) {
          backordered -= waited.quantity();
          ended.add(e.holdId());
          if (waited.quantity() != e.quantity())
            violate(sequenceNr, "backorder " + e.holdId() + " released with another quantity");
        } else {
          end(sequenceNr, e.holdId(), e.quantity());
        }
        holdsReleased++;
      }
      case StockEvent.TransferShipped e -> {
        long available =
            StockState.available(
                onHand, reserved - lapsed(e.occurredAt()) + backordered, safetyStock);
        if (e.quantity() <= 0 || e.quantity() > available)
          violate(
              sequenceNr,
              "transfer "
                  + e.transferId()
                  + " shipped "
                  + e.quantity()
                  + " units with "
                  + available
                  + " available");
        if (!transfersShipped.add(e.transferId()))
          violate(sequenceNr, "transfer " + e.transferId() + " shipped twice");
        onHand -= e.quantity();
      }
      case StockEvent.TransferReceived e -> {
        Long expected = incoming.remove(Supply.transferEntry(e.transferId()));
        if (expected == null) {
          violate(
              sequenceNr,
              "transfer " + e.transferId() + " received here without being on its way, or twice");
        } else {
          incomingTotal -= expected;
          if (e.shipped() != expected || e.quantity() < 0 || e.quantity() > expected)
            violate(
                sequenceNr,
                "transfer "
                    + e.transferId()
                    + " received "
                    + e.quantity()
                    + " of "
                    + expected
                    + " shipped");
        }
        if (e.incoming() != incomingTotal)
          violate(
              sequenceNr, "event says incoming " + e.incoming() + ", replay says " + incomingTotal);
        onHand += e.quantity();
      }
      case IncomingRecorded e -> {
        if (e.quantity() <= 0 || incoming.containsKey(e.incomingId()))
          violate(sequenceNr, "incoming " + e.incomingId() + " recorded twice or empty");
        incoming.put(e.incomingId(), e.quantity());
        incomingTotal += e.quantity();
        if (e.incoming() != incomingTotal)
          violate(
              sequenceNr, "event says incoming " + e.incoming() + ", replay says " + incomingTotal);
      }
      case HoldBackordered e -> {
        if (e.quantity() <= 0)
          violate(sequenceNr, "backorder " + e.holdId() + " of " + e.quantity() + " units");
        if (active.containsKey(e.holdId())
            || ended.contains(e.holdId())
            || waiting.containsKey(e.holdId())) {
          violate(sequenceNr, "hold " + e.holdId() + " placed twice");
        }
        waiting.put(e.holdId(), new ActiveHold(e.quantity(), null, e.channel(), e.customerId()));
        backordered += e.quantity();
        long room = rules.backorderLimit() + (rules.preorder() ? incomingTotal : 0);
        if (backordered > room) {
          violate(
              sequenceNr,
              "backorder "
                  + e.holdId()
                  + " took the waiting units to "
                  + backordered
                  + ", above the "
                  + room
                  + " the item may promise");
        }
        if (e.backordered() != backordered)
          violate(
              sequenceNr,
              "event says backordered " + e.backordered() + ", replay says " + backordered);
        holdsPlaced++;
      }
      case BackorderFilled e -> {
        String first = waiting.isEmpty() ? null : waiting.keySet().iterator().next();
        if (!e.holdId().equals(first)) {
          violate(
              sequenceNr,
              "backorder "
                  + e.holdId()
                  + (waiting.containsKey(e.holdId())
                      ? " filled before " + first + ", which came first"
                      : " filled but not waiting"));
        }
        ActiveHold filled = waiting.remove(e.holdId());
        if (filled != null) {
          long units = filled.quantity();
          backordered -= units;
          long free = StockState.available(onHand, reserved - lapsed(e.occurredAt()), safetyStock);
          if (units > free)
            violate(
                sequenceNr,
                "backorder " + e.holdId() + " filled with " + units + " units, " + free + " free");
          active.put(e.holdId(), filled.until(e.expiresAt()));
          reserved += units;
        }
        if (e.backordered() != backordered)
          violate(
              sequenceNr,
              "event says backordered " + e.backordered() + ", replay says " + backordered);
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
        else active.put(e.holdId(), hold.until(e.expiresAt()));
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
    long available = StockState.available(onHand, reserved + backordered, safetyStock);
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

  /**
   * A hold on an item with channel or customer rules: it took no units kept for another channel,
   * and its customer (required) stayed within the limit. Counted as the item counts: live holds
   * (past their deadline, a hold no longer counts) and the commits of the window. A scan of the
   * active holds per hold: such items are not the hot ones.
   */
  private void checkRules(long sequenceNr, HoldPlaced e) {
    Instant at = e.occurredAt();
    Map<String, Long> liveByChannel = new HashMap<>();
    long live = 0;
    long customerHeld = 0;
    for (ActiveHold hold : active.values()) {
      if (!hold.liveAt(at)) continue;
      live += hold.quantity();
      liveByChannel.merge(hold.channel(), hold.quantity(), Long::sum);
      if (e.customerId() != null && e.customerId().equals(hold.customerId())) {
        customerHeld += hold.quantity();
      }
    }
    if (rules.fencesChannels()) {
      long free = onHand - live - safetyStock;
      for (Map.Entry<String, Long> fence : rules.channelReserve().entrySet()) {
        if (fence.getKey().equals(e.channel())) continue;
        free -= Math.max(0, fence.getValue() - liveByChannel.getOrDefault(fence.getKey(), 0L));
      }
      if (e.quantity() > free) {
        violate(
            sequenceNr,
            "hold "
                + e.holdId()
                + " of channel "
                + e.channel()
                + " took "
                + e.quantity()
                + " units with "
                + Math.max(0, free)
                + " not kept for other channels");
      }
    }
    if (rules.limitsCustomers()) {
      // the units a customer waits for count against its limit as held ones do
      for (ActiveHold w : waiting.values()) {
        if (e.customerId() != null && e.customerId().equals(w.customerId()))
          customerHeld += w.quantity();
      }
      if (e.customerId() == null) {
        violate(sequenceNr, "hold " + e.holdId() + " names no customer on an item with a limit");
        return;
      }
      Instant since = at.minus(rules.customerWindow());
      long bought = 0;
      for (Purchase p : purchases) {
        if (p.customerId().equals(e.customerId()) && p.at().isAfter(since)) bought += p.quantity();
      }
      if (customerHeld + bought + e.quantity() > rules.maxPerCustomer()) {
        violate(
            sequenceNr,
            "hold "
                + e.holdId()
                + " took customer "
                + e.customerId()
                + " to "
                + (customerHeld + bought + e.quantity())
                + " units, above the limit of "
                + rules.maxPerCustomer());
      }
    }
  }

  /**
   * A backorder first in line whose units are free, counting every active hold (past its deadline
   * or not): it should have been filled. Items that keep units for channels fill by what the
   * backorder's channel may take, which this does not replay.
   */
  private void checkNoneLeftWaiting(long sequenceNr) {
    if (waiting.isEmpty() || rules.fencesChannels()) return;
    var first = waiting.entrySet().iterator().next();
    long free = StockState.available(onHand, reserved, safetyStock);
    if (first.getValue().quantity() <= free) {
      violate(
          sequenceNr,
          "backorder "
              + first.getKey()
              + " of "
              + first.getValue().quantity()
              + " units left waiting with "
              + free
              + " free");
    }
  }

  private boolean finished;

  /**
   * Call after the last event (once; again does nothing): the journal's end is a point where no
   * fill is pending.
   */
  public void finish() {
    if (finished) return;
    finished = true;
    checkNoneLeftWaiting(lastSequenceNr);
  }

  public long backordered() {
    return backordered;
  }

  public long incoming() {
    return incomingTotal;
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
