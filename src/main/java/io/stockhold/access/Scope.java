package io.stockhold.access;

import java.util.Arrays;
import java.util.Optional;

/** What a key may do. The master key holds every scope. */
public enum Scope {
  /** Read an item, its history, the list of levels. */
  STOCK_READ("stock:read"),
  /** Adjust stock, set an item's policy. */
  STOCK_WRITE("stock:write"),
  /** Create, commit, release and extend reservations. */
  RESERVATIONS_WRITE("reservations:write"),
  /** Look up a reservation. */
  RESERVATIONS_READ("reservations:read"),
  /** Any principal's reservations, not only the key's own. */
  RESERVATIONS_ADMIN("reservations:admin"),
  /** The gRPC POS service; its calls are also checked as the REST calls that do the same are. */
  POS("pos"),
  /** Create, list and revoke keys. */
  KEYS_ADMIN("keys:admin");

  private final String wireName;

  Scope(String wireName) {
    this.wireName = wireName;
  }

  /** {@code stock:read}, as keys and answers name it. */
  public String wireName() {
    return wireName;
  }

  public static Optional<Scope> ofWireName(String name) {
    return Arrays.stream(values()).filter(s -> s.wireName.equals(name)).findFirst();
  }
}
