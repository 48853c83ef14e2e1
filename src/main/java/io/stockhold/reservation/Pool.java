package io.stockhold.reservation;

import java.util.List;

/**
 * Locations that sell as one, in order of preference: a reservation line naming the pool takes its
 * units from the first location that has them all, else (unless it says {@code split: false}) from
 * several in this order.
 */
public record Pool(String poolId, List<String> locations) {

  /** Locations one pool may list. */
  public static final int MAX_LOCATIONS = 50;

  public Pool {
    locations = List.copyOf(locations);
    if (locations.isEmpty() || locations.size() > MAX_LOCATIONS) {
      throw new IllegalArgumentException(
          "a pool lists 1 to " + MAX_LOCATIONS + " locations, not " + locations.size());
    }
  }
}
