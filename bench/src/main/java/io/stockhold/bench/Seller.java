package io.stockhold.bench;

/**
 * One buyer's connection to a system under test: it tries to sell one unit of an item and says what
 * the buyer heard. Each load worker owns one seller, so a seller need not be thread-safe.
 */
interface Seller {

  /** What one attempt to buy one unit came to. */
  enum Outcome {
    /** The unit is the buyer's (201 held; a committed sales row). */
    SOLD,
    /** "Sold out": the system says no unit is left. */
    SOLD_OUT,
    /** "Try again": lock busy, version conflicts past the retry budget, 503 overloaded. */
    TURNED_AWAY,
    /**
     * The buyer never learned the outcome (timeout, broken connection, 5xx other than overloaded).
     */
    UNKNOWN,
    /** A read answered (the read-path baseline); not a sale. */
    READ
  }

  /** Tries to buy one unit of item {@code item} (an index into the workload's items). */
  Outcome sell(int item) throws Exception;

  /** Closes the connection; never throws (a bench must clean up past a broken connection). */
  void close();
}
