package io.stockhold.badhouse.erp;

import io.stockhold.badhouse.stock.Shelf;

/** Closes a package cycle on purpose (ArchitectureTest): stock → api.http → erp → stock. */
public final class Ledger {
  public Shelf shelf() {
    return new Shelf();
  }
}
