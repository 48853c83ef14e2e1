package io.stockhold.stock;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import org.pcollections.TreePMap;

/**
 * What is on its way to a stock item and who waits for it: the open incoming entries (purchase
 * orders, transfers in) and the backorder queue in arrival order. Immutable, like the rest of
 * {@link StockState}.
 *
 * @param incoming open entries by {@code incomingId}, each with the units still expected
 * @param incomingTotal the sum of their units
 * @param recordedIncoming every entry recorded within the retention, open or closed, as first
 *     recorded: a repeated {@code POST …/incoming} is told from a reused id by it
 * @param waiting backorders by hold id
 * @param queue hold ids by arrival number, oldest first
 * @param backordered the sum of the waiting units
 * @param arrivals the arrival number the next backorder gets
 * @param shipped units shipped to other locations, by transfer id, within the retention: a transfer
 *     ships once
 */
public record Supply(
    IdMap<Incoming> incoming,
    long incomingTotal,
    Recent<Incoming> recordedIncoming,
    IdMap<Backorder> waiting,
    TreePMap<Long, String> queue,
    long backordered,
    long arrivals,
    Recent<Long> shipped) {

  /** What an incoming entry's id may look like: a purchase order's or a transfer's number. */
  public static final Pattern INCOMING_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}");

  /** Incoming ids are remembered at least this long, so a late retry of a recording is answered. */
  public static final Duration INCOMING_RETENTION = Duration.ofDays(90);

  public static final int INCOMING_LIMIT = 100_000;

  public static final Supply NONE =
      new Supply(
          IdMap.empty(), 0, Recent.empty(), IdMap.empty(), TreePMap.empty(), 0, 0, Recent.empty());

  /**
   * The incoming entry a transfer's units are on their way as, at the receiving location: the
   * transfer's own, received only by receiving the transfer.
   */
  public static String transferEntry(String transferId) {
    return TRANSFER_ENTRY + transferId;
  }

  public static boolean isTransferEntry(String incomingId) {
    return incomingId.startsWith(TRANSFER_ENTRY);
  }

  private static final String TRANSFER_ENTRY = "transfer:";

  /** Units on their way: {@code quantity} still expected of the entry. */
  public record Incoming(String incomingId, long quantity, Instant expectedAt, String reference) {}

  /**
   * A hold waiting for units: placed in full, at {@code now + ttlSeconds}, when its turn comes and
   * the units are there. {@code arrival} orders the queue.
   */
  public record Backorder(
      String holdId,
      String reservationId,
      String channel,
      long quantity,
      long ttlSeconds,
      String fingerprint,
      String actor,
      String customerId,
      long arrival) {

    /** As a hold that has no deadline yet. */
    public StockState.Hold asHold() {
      return new StockState.Hold(
          holdId, reservationId, channel, quantity, null, null, fingerprint, actor, customerId);
    }
  }

  public boolean hasBackorders() {
    return !queue.isEmpty();
  }

  /** The backorder whose turn is next, or null. */
  public Backorder next() {
    return queue.isEmpty() ? null : waiting.get(queue.firstEntry().getValue());
  }

  /** The open entries, soonest expected first. */
  public List<Incoming> incomingEntries() {
    if (incoming.isEmpty()) return List.of(); // most items, on every level read
    List<Incoming> out = new ArrayList<>(incoming.values());
    out.sort(Comparator.comparing(Incoming::expectedAt).thenComparing(Incoming::incomingId));
    return out;
  }

  /** The waiting backorders, oldest first. */
  public List<Backorder> backorders() {
    List<Backorder> out = new ArrayList<>(queue.size());
    for (String holdId : queue.values()) out.add(waiting.get(holdId));
    return out;
  }

  Supply recorded(Incoming entry, Instant at) {
    return new Supply(
        incoming.plus(entry.incomingId(), entry),
        incomingTotal + entry.quantity(),
        recordedIncoming.remember(
            entry.incomingId(), entry, at, INCOMING_LIMIT, INCOMING_RETENTION),
        waiting,
        queue,
        backordered,
        arrivals,
        shipped);
  }

  /** {@code units} of the entry arrived: it expects that many fewer, and closes at 0 or below. */
  Supply received(String incomingId, long units) {
    Incoming entry = incoming.get(incomingId);
    long left = entry.quantity() - units;
    return new Supply(
        left > 0
            ? incoming.plus(
                incomingId, new Incoming(incomingId, left, entry.expectedAt(), entry.reference()))
            : incoming.minus(incomingId),
        incomingTotal - Math.min(units, entry.quantity()),
        recordedIncoming,
        waiting,
        queue,
        backordered,
        arrivals,
        shipped);
  }

  Supply queued(Backorder b) {
    Backorder numbered =
        new Backorder(
            b.holdId(),
            b.reservationId(),
            b.channel(),
            b.quantity(),
            b.ttlSeconds(),
            b.fingerprint(),
            b.actor(),
            b.customerId(),
            arrivals);
    return new Supply(
        incoming,
        incomingTotal,
        recordedIncoming,
        waiting.plus(b.holdId(), numbered),
        queue.plus(arrivals, b.holdId()),
        backordered + b.quantity(),
        arrivals + 1,
        shipped);
  }

  /** The backorder leaves the queue: filled or released. */
  Supply dequeued(String holdId) {
    Backorder b = waiting.get(holdId);
    return new Supply(
        incoming,
        incomingTotal,
        recordedIncoming,
        waiting.minus(holdId),
        queue.minus(b.arrival()),
        backordered - b.quantity(),
        arrivals,
        shipped);
  }

  Supply shippedTransfer(String transferId, long units, Instant at) {
    return new Supply(
        incoming,
        incomingTotal,
        recordedIncoming,
        waiting,
        queue,
        backordered,
        arrivals,
        shipped.remember(transferId, units, at, TRANSFER_LIMIT, TRANSFER_RETENTION));
  }

  /** Transfers shipped are remembered at least this long, so a late retry does not ship again. */
  public static final Duration TRANSFER_RETENTION = Duration.ofDays(90);

  public static final int TRANSFER_LIMIT = 100_000;

  /** As a snapshot lists them: the backorders in queue order, renumbered from 0 on the way back. */
  static Supply of(
      List<Incoming> open,
      List<Recent.Remembered<Incoming>> recorded,
      List<Backorder> waiting,
      List<Recent.Remembered<Long>> shipped) {
    Supply s =
        new Supply(
            IdMap.empty(),
            0,
            Recent.of(recorded),
            IdMap.empty(),
            TreePMap.empty(),
            0,
            0,
            Recent.of(shipped));
    for (Incoming i : open) {
      s =
          new Supply(
              s.incoming.plus(i.incomingId(), i),
              s.incomingTotal + i.quantity(),
              s.recordedIncoming,
              s.waiting,
              s.queue,
              s.backordered,
              s.arrivals,
              s.shipped);
    }
    for (Backorder b : waiting) s = s.queued(b);
    return s;
  }
}
