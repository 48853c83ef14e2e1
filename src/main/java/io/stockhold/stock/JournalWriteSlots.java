package io.stockhold.stock;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * A node-wide bound on the stock-item batches being written at once. The journal plugin queues
 * writes in a fixed buffer and fails the persist (stopping the item) when it overflows; gates take
 * a slot before sending a batch, so under a flood the work waits in their bounded queues (and
 * overflows there as explicit 503s) instead.
 */
public final class JournalWriteSlots implements Extension {

  private final int capacity;
  private final AtomicInteger free;

  private JournalWriteSlots(int capacity) {
    this.capacity = capacity;
    this.free = new AtomicInteger(capacity);
  }

  public static JournalWriteSlots get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  public boolean tryAcquire() {
    while (true) {
      int now = free.get();
      if (now == 0) return false;
      if (free.compareAndSet(now, now - 1)) return true;
    }
  }

  public void release() {
    free.incrementAndGet();
  }

  /** Batches being written now. */
  public int inUse() {
    return capacity - free.get();
  }

  private static final class Id extends ExtensionId<JournalWriteSlots> {
    static final Id INSTANCE = new Id();

    @Override
    public JournalWriteSlots createExtension(ActorSystem<?> system) {
      return new JournalWriteSlots(
          system.settings().config().getInt("stockhold.stock-item.max-writes-in-flight"));
    }
  }
}
