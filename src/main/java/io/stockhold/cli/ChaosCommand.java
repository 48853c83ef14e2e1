package io.stockhold.cli;

import io.stockhold.chaos.ChaosRun;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code stockhold chaos}: its options, checked, into a {@link ChaosRun}. */
final class ChaosCommand {

  private ChaosCommand() {}

  /** The exit status: 0 when the checks hold, 1 when one fails, 2 for bad options. */
  static int run(Map<String, String> options, PrintStream out) throws Exception {
    List<String> faults = new ArrayList<>();
    for (String f : options.getOrDefault("faults", String.join(",", ChaosRun.FAULTS)).split(",")) {
      if (!ChaosRun.FAULTS.contains(f.trim())) {
        System.err.println(
            "chaos: no fault " + f + "; the faults are " + String.join(",", ChaosRun.FAULTS));
        return 2;
      }
      faults.add(f.trim());
    }
    boolean quick = options.containsKey("quick");
    int minutes = options.containsKey("minutes") ? Integer.parseInt(options.get("minutes")) : 20;
    Path report =
        options.containsKey("report") ? Path.of(options.get("report")) : ChaosRun.defaultReport();
    Path jar = nodeJar();
    if (!Files.isRegularFile(jar)) {
      System.err.println("chaos: no node jar at " + jar + "; build it (bin/stockhold does)");
      return 2;
    }
    return ChaosRun.run(
        new ChaosRun.Settings(
            Duration.ofMinutes(minutes),
            quick,
            faults,
            report,
            options.get("db-url"),
            options.get("amqp-uri"),
            options.containsKey("keep"),
            jar),
        out);
  }

  /**
   * The jar the nodes run: the one this command runs from, or (from classes, in a test) {@code
   * target/stockhold.jar}.
   */
  static Path nodeJar() throws URISyntaxException {
    Path self =
        Path.of(ChaosCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    return Files.isRegularFile(self) ? self : Path.of("target", "stockhold.jar").toAbsolutePath();
  }
}
