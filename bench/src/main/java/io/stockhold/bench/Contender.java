package io.stockhold.bench;

import java.util.Optional;

/**
 * A system under test: how it puts a workload's units on sale, opens a buyer's connection, and
 * counts what it sold.
 */
interface Contender {

  /** The short name the tables and the chart use. */
  String name();

  /** How it sells, in one line, for the report. */
  String approach();

  /** Before a phase: the workload's items, each with its units, and nothing sold yet. */
  void stock(Workload workload) throws Exception;

  /** One buyer's own connection. */
  Seller open(Workload workload) throws Exception;

  /**
   * After a phase: units sold per item as the system's own records say (not the buyers' counts).
   * Empty when they can only be read later (Stockhold: its journal is audited once the node stops).
   */
  Optional<long[]> recordedSales(Workload workload) throws Exception;

  /** After {@link #recordedSales}: drop what {@link #stock} made, so later phases start clean. */
  default void cleanUp(Workload workload) throws Exception {}
}
