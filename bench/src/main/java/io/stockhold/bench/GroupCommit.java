package io.stockhold.bench;

import java.io.IOException;

/**
 * Stockhold's group commit during one phase, from the node's own meters ({@code /metrics}): how
 * many journal writes the stock items made, how many requests each carried, and how long one took
 * from the batch leaving the item to its events persisted. A buyer waits for the write in flight,
 * then for its own, so these two numbers explain most of the latency column.
 */
record GroupCommit(long writes, long requests, double writeSeconds, double seconds) {

  static GroupCommit sample(ServeNode node) throws IOException, InterruptedException {
    String text = node.metrics();
    return new GroupCommit(
        Math.round(sum(text, "stockhold_stockitem_journal_write_seconds_count")),
        Math.round(sum(text, "stockhold_stockitem_batch_size_requests_sum")),
        sum(text, "stockhold_stockitem_journal_write_seconds_sum"),
        System.nanoTime() / 1e9);
  }

  /** The sum of a Prometheus series over all its labels; 0 when the node has none yet. */
  static double sum(String prometheusText, String series) {
    double total = 0;
    for (String line : prometheusText.split("\n")) {
      if (!line.startsWith(series)) continue;
      String rest = line.substring(series.length());
      if (!rest.startsWith(" ") && !rest.startsWith("{")) continue;
      total += Double.parseDouble(rest.substring(rest.lastIndexOf(' ') + 1));
    }
    return total;
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
