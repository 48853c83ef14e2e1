package io.stockhold.erp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.io.IOException;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes to the inventory exchange with publisher confirms: persistent, {@code mandatory}, one
 * confirm wait per group. A message the broker returned (no queue took it) or nacked fails the
 * whole group, which is published again — an ack after a return is not a delivery. Any failure
 * drops the connection; the next group opens a new one and declares the topology again.
 */
public final class AmqpEventPublisher implements EventPublisher {

  private static final Logger LOG = LoggerFactory.getLogger(AmqpEventPublisher.class);

  private final Broker broker;
  private final ErpSettings settings;
  private final String name;
  private final Set<String> returned = ConcurrentHashMap.newKeySet();
  private Connection connection;
  private Channel channel;

  /** {@code name} tells this publisher's connection apart in the broker's UI (e.g. the slice). */
  public AmqpEventPublisher(Broker broker, ErpSettings settings, String name) {
    this.broker = broker;
    this.settings = settings;
    this.name = name;
  }

  @Override
  public void publish(List<OutboundMessage> messages) throws Exception {
    if (messages.isEmpty()) return;
    try {
      Channel ch = channel();
      returned.clear();
      for (OutboundMessage m : messages) {
        ch.basicPublish(settings.exchange(), m.routingKey(), true, properties(m), m.body());
      }
      // Throws on a nack or when the confirms do not come in time.
      ch.waitForConfirmsOrDie(settings.confirmTimeout().toMillis());
      if (!returned.isEmpty()) {
        throw new UnroutableException(
            returned.size()
                + " message(s) returned as unroutable by exchange "
                + settings.exchange()
                + ", e.g. "
                + returned.iterator().next());
      }
    } catch (UnroutableException e) {
      throw e;
    } catch (TimeoutException e) {
      disconnect();
      throw new TimeoutException(
          "ERP events "
              + name
              + ": RabbitMQ at "
              + broker.description()
              + " did not confirm "
              + messages.size()
              + " message(s) within "
              + settings.confirmTimeout());
    } catch (Exception e) {
      disconnect();
      throw new IOException(
          "ERP events "
              + name
              + ": RabbitMQ at "
              + broker.description()
              + " unavailable ("
              + rootCause(e)
              + "); the events wait in the journal",
          e);
    }
  }

  private static String rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t.getMessage() == null
        ? t.getClass().getSimpleName()
        : t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  private AMQP.BasicProperties properties(OutboundMessage m) {
    Map<String, Object> headers = new HashMap<>();
    headers.put("type", m.type());
    return new AMQP.BasicProperties.Builder()
        .messageId(m.messageId())
        .type(m.type())
        .contentType("application/json")
        .contentEncoding("utf-8")
        .deliveryMode(2)
        .timestamp(new Date())
        .headers(headers)
        .build();
  }

  private Channel channel() throws Exception {
    if (channel != null && channel.isOpen()) return channel;
    disconnect();
    connection = broker.connect("stockhold-events-" + name);
    Channel ch = connection.createChannel();
    broker.declareTopology(ch);
    ch.confirmSelect();
    ch.addReturnListener(r -> returned.add(r.getProperties().getMessageId()));
    channel = ch;
    LOG.info(
        "ERP events {}: publishing to exchange {} on {}",
        name,
        settings.exchange(),
        broker.description());
    return ch;
  }

  private void disconnect() {
    Connection c = connection;
    connection = null;
    channel = null;
    if (c != null) {
      try {
        c.abort(2000);
      } catch (RuntimeException ignored) {
        // Already gone; nothing to give back.
      }
    }
  }

  @Override
  public void close() {
    disconnect();
  }

  /** No queue is bound for a message's routing key: a configuration problem to retry, not skip. */
  static final class UnroutableException extends Exception {
    UnroutableException(String message) {
      super(message);
    }
  }
}
