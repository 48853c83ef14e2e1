package io.stockhold.node;

import com.typesafe.config.Config;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;

/**
 * How a node finds its cluster: the configured seed nodes; cluster bootstrap, which asks service
 * discovery (the Kubernetes API in {@code conf/k8s.conf}) for its peers and lets the one with the
 * lowest address form the cluster; or, with neither, itself alone.
 */
final class ClusterFormation {

  private ClusterFormation() {}

  /**
   * {@code stockhold.cluster.bootstrap}. A switch of our own rather than "bootstrap is configured":
   * the bootstrap module's reference.conf defines every bootstrap setting, so their presence says
   * nothing.
   */
  static boolean bootstraps(Config config) {
    return config.getBoolean("stockhold.cluster.bootstrap");
  }

  /**
   * Starts cluster bootstrap when it is switched on. Call it after pekko-management has started:
   * peers probe each other through its {@code /bootstrap/seed-nodes} route, and bootstrap learns
   * its own contact point from it.
   */
  static void startBootstrapIfOn(ActorSystem<?> system, Config config) {
    if (bootstraps(config)) {
      ClusterBootstrap.get(system).start();
    }
  }
}
