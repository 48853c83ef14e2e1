package io.stockhold.reservation;

import io.stockhold.reservation.ReservationEvent.AllFilled;
import io.stockhold.reservation.ReservationEvent.AllHeld;
import io.stockhold.reservation.ReservationEvent.DeadlineExtended;
import io.stockhold.reservation.ReservationEvent.Finished;
import io.stockhold.reservation.ReservationEvent.Finishing;
import io.stockhold.reservation.ReservationEvent.HoldsRefused;
import io.stockhold.reservation.ReservationEvent.HoldsRequested;
import io.stockhold.reservation.ReservationEvent.HoldsReturned;
import io.stockhold.reservation.ReservationEvent.SomeWaiting;
import io.stockhold.reservation.ReservationReply.ShortLine;
import io.stockhold.stock.StockReply;
import io.stockhold.stock.StockReply.HoldReply;
import io.stockhold.stock.StockReply.HoldStatus;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A multi-line reservation (a saga over its stock items), pure. The phases:
 *
 * <pre>
 *   NEW ─HoldsRequested→ HOLDING ─AllHeld→ HELD ─Finishing→ FINISHING ─Finished→ FINISHED
 *                           │                 ↑
 *                           ├─SomeWaiting→ WAITING ─AllFilled┘  (release: ─Finishing→ FINISHING)
 *                           └─HoldsRefused→ REFUNDING ─HoldsReturned→ REFUSED (a new attempt may start)
 * </pre>
 *
 * WAITING: some lines are backorders waiting at their items, the others held; there is no deadline
 * until the last line is filled, and then the reservation is held for its hold time from then.
 *
 * <p>In HOLDING, REFUNDING and FINISHING the reservation is waiting for its items; {@link
 * #itemRequests} says what each line must be told, and telling it again is harmless (hold ids are
 * derived from the reservation, the attempt and the line). Item-side holds last {@code grace}
 * longer than the reservation, so a commit decided before the deadline always finds its holds.
 */
public record ReservationState(
    String reservationId,
    int attempt,
    Phase phase,
    End end,
    String channel,
    List<ReservationLine> lines,
    Instant expiresAt,
    Instant grantedExpiresAt,
    String fingerprint,
    String actor,
    String customerId,
    long holdSeconds,
    boolean waited) {

  /** A reservation that never waited for stock (its hold time unknown: tests' fixtures). */
  public ReservationState(
      String reservationId,
      int attempt,
      Phase phase,
      End end,
      String channel,
      List<ReservationLine> lines,
      Instant expiresAt,
      Instant grantedExpiresAt,
      String fingerprint,
      String actor,
      String customerId) {
    this(
        reservationId,
        attempt,
        phase,
        end,
        channel,
        lines,
        expiresAt,
        grantedExpiresAt,
        fingerprint,
        actor,
        customerId,
        0,
        false);
  }

  public enum Phase {
    NEW,
    HOLDING,
    WAITING,
    HELD,
    REFUNDING,
    REFUSED,
    FINISHING,
    FINISHED
  }

  /** How a held reservation ended. */
  public enum End {
    COMMITTED,
    RELEASED,
    EXPIRED;

    HoldStatus status() {
      return HoldStatus.valueOf(name());
    }
  }

  public static ReservationState empty(String reservationId) {
    return new ReservationState(
        reservationId, 0, Phase.NEW, null, null, List.of(), null, null, null, null, null, 0, false);
  }

  /** Waiting for items: client requests are held back until this phase resolves. */
  public boolean busy() {
    return phase == Phase.HOLDING || phase == Phase.REFUNDING || phase == Phase.FINISHING;
  }

  /** The item-side hold of line {@code index} in the current attempt. */
  public String holdId(int index) {
    String key = reservationId.substring(reservationId.indexOf('~') + 1);
    return key + "-" + attempt + "-" + index;
  }

  /** What line {@code index} must be told in the current phase; null when nothing. */
  public StockRequest itemRequest(int index, Instant now, Duration grace) {
    String holdId = holdId(index);
    return switch (phase) {
      case HOLDING ->
          new StockRequest.Reserve(
              holdId,
              reservationId,
              channel,
              lines.get(index).quantity(),
              ttlSeconds(now, grace),
              null,
              actor,
              customerId,
              lines.get(index).mayWait());
      case HELD -> new StockRequest.Extend(holdId, ttlSeconds(now, grace), actor);
      case REFUNDING -> new StockRequest.Release(holdId, actor);
      case FINISHING ->
          end == End.COMMITTED
              ? new StockRequest.Commit(holdId, actor)
              : new StockRequest.Release(holdId, actor);
      // a waiting reservation asks its items on its own schedule (Reservation's polls)
      case NEW, WAITING, REFUSED, FINISHED -> null;
    };
  }

  /** Seconds from {@code now} to the item-side deadline (the reservation's plus grace). */
  private long ttlSeconds(Instant now, Duration grace) {
    long nanos = Duration.between(now, expiresAt.plus(grace)).toNanos();
    return Math.max(1, (nanos + 999_999_999) / 1_000_000_000);
  }

  /** Whether a line's answer in the current phase means that line is done. */
  public LineAnswer judge(StockReply reply) {
    return switch (phase) {
      case HOLDING ->
          switch (reply) {
            case HoldReply h when h.hold().status() == HoldStatus.HELD -> LineAnswer.DONE;
            case HoldReply h when h.hold().status() == HoldStatus.BACKORDERED -> LineAnswer.WAITS;
            case Rejected r when refuses(r.reason()) -> LineAnswer.SHORT;
            default -> LineAnswer.FAILED;
          };
      // An extension is confirmed only once every line took it: an item that was too busy is
      // asked again, one that no longer has the hold is reported.
      case HELD ->
          switch (reply) {
            case HoldReply h -> LineAnswer.DONE;
            case StockReply.Unavailable u -> LineAnswer.RETRY;
            default -> LineAnswer.LOST;
          };
      case REFUNDING, FINISHING ->
          switch (reply) {
            case HoldReply h -> LineAnswer.DONE;
            // The hold never came to be, or the item forgot it long ago: nothing left to do.
            case Rejected r when r.reason() == Rejection.RESERVATION_NOT_FOUND -> LineAnswer.DONE;
            case Rejected r -> LineAnswer.LOST;
            case StockReply.Unavailable u -> LineAnswer.RETRY;
            case StockReply.LevelReply l -> LineAnswer.LOST;
            case StockReply.SaleReply s -> LineAnswer.LOST;
          };
      case NEW, WAITING, REFUSED, FINISHED -> LineAnswer.DONE;
    };
  }

  /** What an item's answer means for its line. */
  public enum LineAnswer {
    DONE,
    /** Accepted as a backorder: the line waits for stock at its item. */
    WAITS,
    /** Not enough stock on this line. */
    SHORT,
    /** Holding failed for another reason (overload, timeout): give the attempt up. */
    FAILED,
    /** Try again later. */
    RETRY,
    /** The item refused an end that was decided in time: reported, not retried. */
    LOST
  }

  /** Whether an item's rejection refuses the line (rather than failing the attempt). */
  private static boolean refuses(Rejection reason) {
    return reason == Rejection.INSUFFICIENT_STOCK
        || reason == Rejection.CUSTOMER_LIMIT
        || reason == Rejection.CUSTOMER_REQUIRED;
  }

  /**
   * Why a refused attempt is refused: a missing customer before a customer's limit before too
   * little stock, since the first two say what the caller must change.
   */
  public static Rejection refusal(List<StockReply> answers) {
    Rejection worst = Rejection.INSUFFICIENT_STOCK;
    for (StockReply answer : answers) {
      if (answer instanceof Rejected r && r.reason() == Rejection.CUSTOMER_REQUIRED) {
        return Rejection.CUSTOMER_REQUIRED;
      }
      if (answer instanceof Rejected r && r.reason() == Rejection.CUSTOMER_LIMIT) {
        worst = Rejection.CUSTOMER_LIMIT;
      }
    }
    return worst;
  }

  /** The item's own words for the first line refused for {@code reason}. */
  public static String refusalDetail(List<StockReply> answers, Rejection reason) {
    for (StockReply answer : answers) {
      if (answer instanceof Rejected r && r.reason() == reason) return r.detail();
    }
    return reason.slug();
  }

  /** The lines a refused attempt names, from each line's answer (for the reason it gives). */
  public List<ShortLine> shortLines(List<StockReply> answers) {
    List<ShortLine> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (answers.get(i) instanceof Rejected r && r.reason() == refusal(answers)) {
        ReservationLine line = lines.get(i);
        out.add(
            new ShortLine(
                line.location(), line.sku(), line.quantity(), r.available(), line.pool()));
      }
    }
    return out;
  }

  /** The reservation as a client sees it at {@code now}. */
  public ReservationReply.View view(Instant now) {
    if (phase == Phase.WAITING) {
      return new ReservationReply.View(
          reservationId, HoldStatus.BACKORDERED, channel, null, lines, actor);
    }
    HoldStatus status =
        switch (phase) {
          case FINISHING, FINISHED -> end.status();
          default -> now.isBefore(expiresAt) ? HoldStatus.HELD : HoldStatus.EXPIRED;
        };
    return new ReservationReply.View(reservationId, status, channel, expiresAt, lines, actor);
  }

  /**
   * The answer to the create request, for replays: the first one (held until the deadline it was
   * granted), or, for a reservation that waited for stock, how it stands now.
   */
  public ReservationReply.View created(Instant now) {
    if (waited) return view(now);
    return new ReservationReply.View(
        reservationId, HoldStatus.HELD, channel, grantedExpiresAt, lines, actor);
  }

  public ReservationState apply(ReservationEvent event) {
    return switch (event) {
      case HoldsRequested e ->
          new ReservationState(
              reservationId,
              e.attempt(),
              Phase.HOLDING,
              null,
              e.channel(),
              List.copyOf(e.lines()),
              e.expiresAt(),
              e.expiresAt(),
              e.fingerprint(),
              e.actor(),
              e.customerId(),
              Duration.between(e.occurredAt(), e.expiresAt()).toSeconds(),
              false);
      case AllHeld e -> withPhase(Phase.HELD, null);
      case SomeWaiting e ->
          new ReservationState(
              reservationId,
              attempt,
              Phase.WAITING,
              null,
              channel,
              lines,
              expiresAt,
              grantedExpiresAt,
              fingerprint,
              actor,
              customerId,
              holdSeconds,
              true);
      case AllFilled e ->
          new ReservationState(
              reservationId,
              attempt,
              Phase.HELD,
              null,
              channel,
              lines,
              e.expiresAt(),
              e.expiresAt(),
              fingerprint,
              actor,
              customerId,
              holdSeconds,
              waited);
      case HoldsRefused e -> withPhase(Phase.REFUNDING, null);
      case HoldsReturned e -> withPhase(Phase.REFUSED, null);
      case DeadlineExtended e ->
          new ReservationState(
              reservationId,
              attempt,
              phase,
              end,
              channel,
              lines,
              e.expiresAt(),
              grantedExpiresAt,
              fingerprint,
              actor,
              customerId,
              holdSeconds,
              waited);
      case Finishing e -> withPhase(Phase.FINISHING, e.end());
      case Finished e -> withPhase(Phase.FINISHED, end);
    };
  }

  private ReservationState withPhase(Phase next, End end) {
    return new ReservationState(
        reservationId,
        attempt,
        next,
        end,
        channel,
        lines,
        expiresAt,
        grantedExpiresAt,
        fingerprint,
        actor,
        customerId,
        holdSeconds,
        waited);
  }
}
