package io.stockhold.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.stockhold.bench.FlashSaleBench.Settings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The bench's options that change what the node does. */
class BenchSettingsTest {

  @Test
  void theProjectionsRunOnTheNodeUnlessSentElsewhere() {
    Map<String, String> env = Map.of();

    Settings here = Settings.from(Map.of(), env);
    assertFalse(here.projectionsElsewhere());
    // Set even by default, so that a STOCKHOLD_PROJECTIONS_ROLE in the environment does not decide.
    assertTrue(FlashSaleBench.projectionPlacement(here).containsKey("stockhold.projections.role"));
    assertEquals("", node(here).getString("stockhold.projections.role"));

    Settings elsewhere = Settings.from(Map.of("projections", "elsewhere"), env);
    assertTrue(elsewhere.projectionsElsewhere());
    Config node = node(elsewhere);
    String role = node.getString("stockhold.projections.role");
    assertFalse(role.isBlank());
    assertFalse(
        node.getStringList("pekko.cluster.roles").contains(role),
        "the bench's node must lack the role");

    IllegalArgumentException bad =
        assertThrows(
            IllegalArgumentException.class,
            () -> Settings.from(Map.of("projections", "nowhere"), env));
    assertTrue(bad.getMessage().contains("--projections"), bad.getMessage());
  }

  @Test
  void profileIsABareFlagAndOffByDefault() {
    assertFalse(Settings.from(Map.of(), Map.of()).profile());
    assertTrue(Settings.from(Map.of("profile", "true"), Map.of()).profile());
    assertFalse(Settings.from(Map.of("profile", "false"), Map.of()).profile());
  }

  private static Config node(Settings s) {
    return ConfigFactory.parseMap(FlashSaleBench.projectionPlacement(s))
        .withFallback(ConfigFactory.load());
  }

  @Test
  void helpListsEveryOptionTheBenchTakes() {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    int exit =
        FlashSaleBench.run(
            Map.of("help", "true"), new PrintStream(printed, true, StandardCharsets.UTF_8));
    assertEquals(0, exit);
    String help = printed.toString(StandardCharsets.UTF_8);
    for (String option :
        List.of(
            "seconds",
            "warmup",
            "connections",
            "report",
            "quick",
            "race-units",
            "hot-units",
            "items",
            "units-per-item",
            "retries",
            "systems",
            "pg-url",
            "redis",
            "chart",
            "projections",
            "profile")) {
      assertTrue(help.contains("--" + option + " "), "--" + option + " missing from\n" + help);
      // Every option starts in the same column, so the list reads as one table.
      assertTrue(
          help.contains("\n  --" + option + " "), "--" + option + " is out of line in\n" + help);
      // ... and each one listed is read (all but the free-form ones refuse a bad value).
      if (!Set.of("quick", "report", "pg-url", "profile").contains(option)) {
        assertThrows(
            IllegalArgumentException.class,
            () -> Settings.from(Map.of(option, "not-a-value!"), Map.of()),
            "--" + option + " accepted anything");
      }
    }
  }
}
