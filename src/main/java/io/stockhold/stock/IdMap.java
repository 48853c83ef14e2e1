package io.stockhold.stock;

import java.util.AbstractMap;
import java.util.Collection;
import java.util.Set;
import scala.Option;
import scala.collection.immutable.HashMap;
import scala.collection.immutable.HashMap$;
import scala.jdk.javaapi.CollectionConverters;

/**
 * An immutable map by id, for a stock item's holds and remembered outcomes: {@link #plus} and
 * {@link #minus} return a new map that shares all but a few nodes with this one. It is Scala's hash
 * trie (CHAMP), a handful of levels deep at a hot item's hundred thousand holds, where a binary
 * tree is some twenty: each level is a pointer to follow and, on the item's one thread, a likely
 * cache miss. Read it as a plain {@link java.util.Map}; it refuses changes through that interface.
 */
public final class IdMap<V> extends AbstractMap<String, V> {

  private static final IdMap<?> EMPTY = new IdMap<>(HashMap$.MODULE$.empty());

  private final HashMap<String, V> entries;

  private IdMap(HashMap<String, V> entries) {
    this.entries = entries;
  }

  @SuppressWarnings("unchecked")
  public static <V> IdMap<V> empty() {
    return (IdMap<V>) EMPTY;
  }

  public IdMap<V> plus(String id, V value) {
    return new IdMap<>(entries.updated(id, value));
  }

  public IdMap<V> minus(String id) {
    return new IdMap<>(entries.removed(id));
  }

  @Override
  public V get(Object id) {
    if (!(id instanceof String key)) return null;
    Option<V> found = entries.get(key);
    return found.isEmpty() ? null : found.get();
  }

  @Override
  public boolean containsKey(Object id) {
    return id instanceof String key && entries.contains(key);
  }

  @Override
  public int size() {
    return entries.size();
  }

  @Override
  public boolean isEmpty() {
    return entries.isEmpty();
  }

  @Override
  public Collection<V> values() {
    return CollectionConverters.asJava(entries).values();
  }

  @Override
  public Set<Entry<String, V>> entrySet() {
    return CollectionConverters.asJava(entries).entrySet();
  }
}
