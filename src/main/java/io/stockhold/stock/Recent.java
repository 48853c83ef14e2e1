package io.stockhold.stock;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.pcollections.TreePMap;

/**
 * An immutable memory of recently finished things by id (finished holds, applied adjustment keys),
 * so that a retry is answered instead of re-applied. Entries are kept at least {@code retention}
 * unless more than {@code maxCount} pile up; adding one costs O(log n) however many are kept.
 */
public record Recent<V>(
    IdMap<Recent.Entry<V>> byId, TreePMap<Long, String> oldestFirst, long nextSeq) {

  public record Entry<V>(V value, Instant at, long seq) {}

  public static <V> Recent<V> empty() {
    return new Recent<>(IdMap.empty(), TreePMap.empty(), 0);
  }

  public Optional<V> get(String id) {
    Entry<V> e = byId.get(id);
    return e == null ? Optional.empty() : Optional.of(e.value());
  }

  public int size() {
    return byId.size();
  }

  /** The entries, oldest first: what a snapshot stores. */
  public List<Remembered<V>> entries() {
    var out = new ArrayList<Remembered<V>>(byId.size());
    for (String id : oldestFirst.values()) {
      Entry<V> e = byId.get(id);
      out.add(new Remembered<>(id, e.value(), e.at()));
    }
    return out;
  }

  /** The inverse of {@link #entries()}. */
  public static <V> Recent<V> of(List<Remembered<V>> entries) {
    IdMap<Entry<V>> ids = IdMap.empty();
    TreePMap<Long, String> order = TreePMap.empty();
    long seq = 0;
    for (Remembered<V> r : entries) {
      ids = ids.plus(r.id(), new Entry<>(r.value(), r.at(), seq));
      order = order.plus(seq, r.id());
      seq++;
    }
    return new Recent<>(ids, order, seq);
  }

  public record Remembered<V>(String id, V value, Instant at) {}

  /** Remembers {@code value} under {@code id}, then forgets what is too old or too many. */
  public Recent<V> remember(String id, V value, Instant at, int maxCount, Duration retention) {
    IdMap<Entry<V>> ids = byId;
    TreePMap<Long, String> order = oldestFirst;
    Entry<V> previous = ids.get(id);
    if (previous != null) order = order.minus(previous.seq());
    ids = ids.plus(id, new Entry<>(value, at, nextSeq));
    order = order.plus(nextSeq, id);
    Instant horizon = at.minus(retention);
    while (!order.isEmpty()) {
      var oldest = order.firstEntry();
      Entry<V> entry = ids.get(oldest.getValue());
      if (ids.size() <= maxCount && !entry.at().isBefore(horizon)) break;
      ids = ids.minus(oldest.getValue());
      order = order.minus(oldest.getKey());
    }
    return new Recent<>(ids, order, nextSeq + 1);
  }
}
