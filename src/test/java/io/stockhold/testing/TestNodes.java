package io.stockhold.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.stockhold.node.StockholdNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;

/** Starts in-process nodes the way {@code serve} does, with free ports and strict test settings. */
public final class TestNodes {

  private TestNodes() {}

  /** Every message is serialized as if it crossed nodes, so an unserializable one fails at once. */
  public static Config testSettings() {
    return ConfigFactory.parseMap(
        Map.of(
            "pekko.actor.serialize-messages", "on",
            "pekko.remote.artery.canonical.port", 0,
            "pekko.management.http.port", freePort(),
            "stockhold.http.interface", "127.0.0.1",
            "stockhold.http.port", 0,
            // In-process nodes stop without the graceful-stop notice that clients of a cluster get.
            "stockhold.http.drain-notice", "0s",
            "pekko.loglevel", "INFO"));
  }

  public static StockholdNode start(TestStore store) throws Exception {
    return start(store, ConfigFactory.empty());
  }

  public static StockholdNode start(TestStore store, Config overrides) throws Exception {
    return StockholdNode.start(
        overrides
            .withFallback(store.config())
            .withFallback(testSettings())
            .withFallback(ConfigFactory.load()));
  }

  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
