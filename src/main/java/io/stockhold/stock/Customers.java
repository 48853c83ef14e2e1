package io.stockhold.stock;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pcollections.TreePVector;

/**
 * What each customer has of one item, for its per-customer limit: units in active holds and the
 * commits of the recent past. Immutable, like the rest of the item's state. An item remembers at
 * most {@value #LIMIT} customers; one with nothing held and no commit within the window is
 * forgotten when room is needed, never one that still counts.
 */
public record Customers(IdMap<Customers.Customer> byId) {

  /** Customers one item remembers at most. */
  public static final int LIMIT = 100_000;

  /** Units committed at one moment. */
  public record Commit(Instant at, long quantity) {}

  /** {@code commits}: oldest first. */
  public record Customer(long held, TreePVector<Commit> commits) {
    long committedSince(Instant since) {
      long units = 0;
      for (int i = commits.size() - 1; i >= 0 && commits.get(i).at().isAfter(since); i--) {
        units += commits.get(i).quantity();
      }
      return units;
    }

    boolean stale(Instant since) {
      return held == 0
          && (commits.isEmpty() || !commits.get(commits.size() - 1).at().isAfter(since));
    }
  }

  /** A customer as a snapshot stores it. */
  public record Entry(String customerId, long held, List<Commit> commits) {}

  private static final Customers EMPTY = new Customers(IdMap.empty());

  public static Customers empty() {
    return EMPTY;
  }

  public int size() {
    return byId.size();
  }

  public boolean knows(String customerId) {
    return byId.containsKey(customerId);
  }

  /** Units {@code customerId} has in active holds, lapsed or not. */
  public long held(String customerId) {
    Customer c = byId.get(customerId);
    return c == null ? 0 : c.held();
  }

  /** Units {@code customerId} bought after {@code since}. */
  public long committedSince(String customerId, Instant since) {
    Customer c = byId.get(customerId);
    return c == null ? 0 : c.committedSince(since);
  }

  /** Whether a customer not known yet can be remembered at {@code now}. */
  public boolean roomFor(Instant now, Duration window) {
    return size() < LIMIT || withoutStale(now.minus(window)).size() < LIMIT;
  }

  /**
   * {@code customerId} holds {@code delta} more units (fewer, when negative). A new customer when
   * there is no room is not remembered: an item without a limit sells to it all the same.
   */
  public Customers hold(String customerId, long delta, Instant at, Duration window) {
    Customer c = byId.get(customerId);
    Customers from = this;
    if (c == null) {
      if (delta <= 0) return this;
      if (size() >= LIMIT) from = withoutStale(at.minus(window));
      if (from.size() >= LIMIT) return from;
      c = new Customer(0, TreePVector.empty());
    }
    Customer next = new Customer(c.held() + delta, c.commits());
    if (next.held() == 0 && next.commits().isEmpty())
      return new Customers(from.byId.minus(customerId));
    return from.with(customerId, next);
  }

  /**
   * {@code customerId} bought {@code quantity} at {@code at} (its hold's units leave its live count
   * separately); commits older than {@code window} are forgotten.
   */
  public Customers commit(String customerId, long quantity, Instant at, Duration window) {
    Customer c = byId.get(customerId);
    if (c == null) return this;
    Instant since = at.minus(window);
    TreePVector<Commit> commits = c.commits();
    while (!commits.isEmpty() && !commits.get(0).at().isAfter(since)) commits = commits.minus(0);
    return with(customerId, new Customer(c.held(), commits.plus(new Commit(at, quantity))));
  }

  private Customers with(String customerId, Customer c) {
    return new Customers(byId.plus(customerId, c));
  }

  private Customers withoutStale(Instant since) {
    IdMap<Customer> kept = byId;
    for (Map.Entry<String, Customer> e : byId.entrySet()) {
      if (e.getValue().stale(since)) kept = kept.minus(e.getKey());
    }
    return new Customers(kept);
  }

  public List<Entry> entries() {
    List<Entry> out = new ArrayList<>(byId.size());
    for (Map.Entry<String, Customer> e : byId.entrySet()) {
      out.add(new Entry(e.getKey(), e.getValue().held(), List.copyOf(e.getValue().commits())));
    }
    return out;
  }

  public static Customers of(List<Entry> entries) {
    if (entries == null) return EMPTY;
    IdMap<Customer> byId = IdMap.empty();
    for (Entry e : entries) {
      byId = byId.plus(e.customerId(), new Customer(e.held(), TreePVector.from(e.commits())));
    }
    return new Customers(byId);
  }
}
