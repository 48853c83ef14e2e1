package io.stockhold.bench;

/**
 * One system on one workload: what its buyers heard ({@link LoadRun.Result}) and, once the system's
 * own records are read, what really happened ({@link Score}). {@code problem} is set when the phase
 * did not run (skipped, failed) and then the rest is null.
 */
record PhaseResult(
    Workload workload, String system, String problem, LoadRun.Result run, Score score) {

  static PhaseResult skipped(Workload workload, String system, String why) {
    return new PhaseResult(workload, system, why, null, null);
  }

  boolean ran() {
    return run != null;
  }

  /** Sales the buyers were told about, per second of the phase. */
  double salesPerSecond() {
    return run.sold() / run.seconds();
  }

  /** Requests answered (sold, sold out, try again, read) per second: unknown outcomes left out. */
  double answersPerSecond() {
    return (run.requests() - run.unknown()) / run.seconds();
  }

  PhaseResult scored(long[] recordedSales) {
    return new PhaseResult(workload, system, problem, run, Score.of(run, recordedSales));
  }

  /**
   * What the system's records say after the phase.
   *
   * @param recorded units sold per the system's own records (sales rows; holds in the journal)
   * @param oversold units recorded sold beyond the units an item had, summed over items
   * @param wronglyTurnedAway rejections (sold out or try again) while the item still had a unit:
   *     either units remained at the end of the phase, or a sale started after the rejection was
   *     answered — stock never rises during a phase, so that unit was there when the buyer was sent
   *     away
   * @param sellOutSeconds when the last unit's sale was answered, for an item that sold out (NaN
   *     otherwise)
   * @param soldOutAnswersPerSecond "sold out" answers per second after that moment (NaN when it
   *     never sold out)
   */
  record Score(
      long recorded,
      long oversold,
      long wronglyTurnedAway,
      double sellOutSeconds,
      double soldOutAnswersPerSecond) {

    static Score of(LoadRun.Result run, long[] recordedSales) {
      long units = run.workload().unitsPerItem();
      long recorded = 0;
      long oversold = 0;
      boolean[] unitsRemain = new boolean[recordedSales.length];
      boolean allSoldOut = true;
      for (int i = 0; i < recordedSales.length; i++) {
        recorded += recordedSales[i];
        oversold += Math.max(0, recordedSales[i] - units);
        unitsRemain[i] = recordedSales[i] < units;
        allSoldOut &= !unitsRemain[i];
      }
      long wrongly = 0;
      for (long r : run.rejections()) {
        int item = LoadRun.item(r);
        if (unitsRemain[item] || LoadRun.answeredMicros(r) < run.lastSaleStartMicros()[item])
          wrongly++;
      }
      double sellOut = Double.NaN;
      double soldOutRate = Double.NaN;
      if (allSoldOut && run.lastSaleEndMicros() >= 0) {
        sellOut = run.lastSaleEndMicros() / 1e6;
        long after = 0;
        for (long r : run.rejections()) {
          if (LoadRun.soldOut(r) && LoadRun.answeredMicros(r) > run.lastSaleEndMicros()) after++;
        }
        double window = run.seconds() - sellOut;
        if (window > 0.1) soldOutRate = after / window;
      }
      return new Score(recorded, oversold, wrongly, sellOut, soldOutRate);
    }
  }
}
