package io.stockhold.stock;

/**
 * What the stock-item gates tell whoever watches the node (metrics), without knowing who that is.
 * Called on the gate's own thread for every batch: implementations must be cheap and must not
 * block.
 */
public interface StockItemObserver {

  /** A batch of {@code requests} went to the journal and was decided in {@code nanos}. */
  void batchWritten(int requests, long nanos);

  /**
   * Requests waiting in some gate's queue grew (positive) or shrank (negative) by {@code delta}.
   */
  void queued(int delta);

  StockItemObserver NONE =
      new StockItemObserver() {
        @Override
        public void batchWritten(int requests, long nanos) {}

        @Override
        public void queued(int delta) {}
      };
}
