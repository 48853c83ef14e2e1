package io.stockhold.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.stockhold.stock.StockReply.HoldReply;
import io.stockhold.stock.StockReply.HoldStatus;
import io.stockhold.stock.StockReply.HoldView;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockRequest.Adjust;
import io.stockhold.stock.StockRequest.ChangePolicy;
import io.stockhold.stock.StockRequest.Commit;
import io.stockhold.stock.StockRequest.Extend;
import io.stockhold.stock.StockRequest.Release;
import io.stockhold.stock.StockRequest.Reserve;
import java.time.Instant;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/** What the entity tests share: their actor system's configuration, requests and replies. */
final class StockFixtures {

  private StockFixtures() {}

  /**
   * {@code stock-entity-test.conf}, then the in-memory journal and snapshot store, then the
   * application's own configuration (for the serialization bindings and the stash settings; its
   * cluster and JDBC parts are never started).
   */
  static Config actorSystemConfig() {
    return ConfigFactory.parseResources("stock-entity-test.conf")
        .withFallback(EventSourcedBehaviorTestKit.config())
        .withFallback(ConfigFactory.load())
        .resolve();
  }

  /**
   * A hold on channel {@code web}, reservation {@code res-<holdId>}, fingerprint {@code
   * fp-<holdId>}.
   */
  static Reserve reserve(String holdId, long quantity, long ttlSeconds) {
    return new Reserve(holdId, "res-" + holdId, "web", quantity, ttlSeconds, "fp-" + holdId);
  }

  static Commit commit(String holdId) {
    return new Commit(holdId);
  }

  static Release release(String holdId) {
    return new Release(holdId);
  }

  static Extend extend(String holdId, long ttlSeconds) {
    return new Extend(holdId, ttlSeconds);
  }

  /** Goods in (or out, when negative), without an idempotency key. */
  static Adjust receive(long delta) {
    return new Adjust(null, null, delta, null, "receipt", null);
  }

  /** A stock count. */
  static Adjust count(long onHand) {
    return new Adjust(null, null, null, onHand, "count", null);
  }

  static ChangePolicy policy(long safetyStock, long reorderPoint, long reorderQuantity) {
    return new ChangePolicy(safetyStock, reorderPoint, reorderQuantity);
  }

  /** The reply about a hold made by {@link #reserve}. */
  static HoldReply holdReply(String holdId, long quantity, HoldStatus status, Instant expiresAt) {
    return new HoldReply(new HoldView(holdId, "res-" + holdId, "web", quantity, status, expiresAt));
  }

  static Rejected assertRejected(Rejection reason, StockReply reply) {
    Rejected rejected = assertInstanceOf(Rejected.class, reply);
    assertEquals(reason, rejected.reason(), rejected.detail());
    return rejected;
  }
}
