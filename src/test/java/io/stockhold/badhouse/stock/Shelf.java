package io.stockhold.badhouse.stock;

import io.stockhold.badhouse.api.http.ShelfRoute;

/** Breaks the domain rule on purpose (ArchitectureTest): a stock class that knows a route. */
public final class Shelf {
  public ShelfRoute route() {
    return new ShelfRoute();
  }
}
