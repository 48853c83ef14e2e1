package io.stockhold.badhouse.api.http;

import io.stockhold.badhouse.erp.Ledger;

/** Breaks the transport rule on purpose (ArchitectureTest): a route that uses the ERP adapter. */
public final class ShelfRoute {
  public Class<?> publishesTo() {
    return Ledger.class;
  }
}
