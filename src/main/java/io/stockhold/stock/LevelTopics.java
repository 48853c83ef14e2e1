package io.stockhold.stock;

import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * One cluster-wide topic of {@link LevelUpdate}s per location, so that a watcher on any node hears
 * every change of the items at its location wherever they live. A node starts a location's topic
 * the first time one of its items publishes or one of its watchers subscribes, and keeps it: a
 * topic with no subscriber on a node costs that node one idle actor and no traffic.
 */
public final class LevelTopics implements Extension {

  private static final ExtensionId<LevelTopics> ID =
      new ExtensionId<>() {
        @Override
        public LevelTopics createExtension(ActorSystem<?> system) {
          return new LevelTopics(system);
        }
      };

  public static LevelTopics get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private final ActorSystem<?> system;
  private final ConcurrentHashMap<String, ActorRef<Topic.Command<LevelUpdate>>> byLocation =
      new ConcurrentHashMap<>();

  private LevelTopics(ActorSystem<?> system) {
    this.system = system;
  }

  public ActorRef<Topic.Command<LevelUpdate>> topic(String location) {
    if (!StockItemId.isLocation(location))
      throw new IllegalArgumentException("invalid location: " + location);
    // A location is a valid actor name as it is (letters, digits, '_' and '-').
    return byLocation.computeIfAbsent(
        location,
        l ->
            system.systemActorOf(
                Topic.create(LevelUpdate.class, "stock-levels-" + l),
                "stock-levels-" + l,
                Props.empty()));
  }

  public void publish(LevelUpdate update) {
    topic(update.location()).tell(Topic.publish(update));
  }
}
