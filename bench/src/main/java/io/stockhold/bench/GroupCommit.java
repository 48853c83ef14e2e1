package io.stockhold.bench;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.stockhold.node.Metrics;
import io.stockhold.node.StockholdNode;
import java.util.concurrent.TimeUnit;

/**
 * Stockhold's group commit during one phase, from the node's own meters: how many journal writes
 * the stock items made, how many requests each carried, and how long one took from the batch
 * leaving the item to its events persisted. A buyer waits for the write in flight, then for its
 * own, so these two numbers explain most of the latency column.
 */
record GroupCommit(long writes, long requests, double writeSeconds, double seconds) {

  static GroupCommit sample(StockholdNode node) {
    MeterRegistry meters = Metrics.get(node.system()).registry();
    DistributionSummary sizes = meters.get("stockhold.stockitem.batch.size").summary();
    Timer writes = meters.get("stockhold.stockitem.journal.write").timer();
    return new GroupCommit(
        writes.count(),
        Math.round(sizes.totalAmount()),
        writes.totalTime(TimeUnit.SECONDS),
        System.nanoTime() / 1e9);
  }

  /** What happened between {@code before} and this sample. */
  GroupCommit since(GroupCommit before) {
    return new GroupCommit(
        writes - before.writes,
        requests - before.requests,
        writeSeconds - before.writeSeconds,
        seconds - before.seconds);
  }

  double writesPerSecond() {
    return writes / seconds;
  }

  double requestsPerWrite() {
    return writes == 0 ? Double.NaN : (double) requests / writes;
  }

  double meanWriteMillis() {
    return writes == 0 ? Double.NaN : writeSeconds * 1000 / writes;
  }
}
