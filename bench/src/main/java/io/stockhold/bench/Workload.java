package io.stockhold.bench;

import java.util.concurrent.ThreadLocalRandom;

/**
 * What the buyers go for: {@code items} items with {@code unitsPerItem} units each, every request
 * for one unit of an item picked uniformly. {@code key} names it in tables, item ids and locks.
 */
record Workload(String key, String label, int items, long unitsPerItem) {

  /** Items are packed into 20 bits of a rejection record (see {@link LoadRun}). */
  static final int MAX_ITEMS = 1 << 20;

  Workload {
    if (items < 1 || items > MAX_ITEMS)
      throw new IllegalArgumentException("items must be 1.." + MAX_ITEMS);
    if (unitsPerItem < 1) throw new IllegalArgumentException("units must be at least 1");
  }

  int pick() {
    return items == 1 ? 0 : ThreadLocalRandom.current().nextInt(items);
  }

  /**
   * The Stockhold location of this workload's items: each workload its own, so the audit can tell
   * them apart.
   */
  String location() {
    return "bench-" + key;
  }

  static String sku(int item) {
    return "item-" + item;
  }
}
