package io.stockhold.erp;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.impl.MicrometerMetricsCollector;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * The ERP's RabbitMQ: how to connect, and the topology Stockhold relies on, declared idempotently
 * on every connect (so a broker that lost its definitions gets them back).
 */
public final class Broker {

  /** The header that tells why a receipt went to the dead-letter exchange. */
  public static final String ERROR_HEADER = "x-stockhold-error";

  private final ErpSettings settings;
  private final ConnectionFactory factory;

  /**
   * {@code registry}: where the client's own measurements go (connections, channels, messages
   * published, confirmed, consumed, acknowledged…, as {@code rabbitmq_*{use}}), with {@code use}
   * naming what this broker's connections are for.
   */
  public Broker(ErpSettings settings, MeterRegistry registry, String use) {
    this(settings);
    factory.setMetricsCollector(
        new MicrometerMetricsCollector(registry, "rabbitmq", Tags.of("use", use)));
  }

  public Broker(ErpSettings settings) {
    this.settings = settings;
    this.factory = new ConnectionFactory();
    try {
      factory.setUri(
          settings.amqpUri().orElseThrow(() -> new IllegalArgumentException("no AMQP URI")));
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalArgumentException(
          "stockhold.erp.amqp-uri is not an AMQP URI: "
              + ErpSettings.withoutCredentials(settings.amqpUri().get()),
          e);
    }
    // Stockhold reconnects by itself, with a pause, and re-declares what it needs; the client's
    // own recovery would race with that.
    factory.setAutomaticRecoveryEnabled(false);
    factory.setTopologyRecoveryEnabled(false);
    factory.setConnectionTimeout(5_000);
    factory.setHandshakeTimeout(5_000);
    factory.setRequestedHeartbeat(15);
  }

  public Connection connect(String connectionName) throws IOException {
    try {
      return factory.newConnection(connectionName);
    } catch (TimeoutException e) {
      throw new IOException("RabbitMQ at " + description() + " did not answer in time", e);
    }
  }

  public String description() {
    return factory.getHost() + ":" + factory.getPort() + factory.getVirtualHost();
  }

  /**
   * The inventory exchange with its catch-all queue, the receipts queue, and the dead-letter
   * exchange with its queue. Declaring what exists with the same arguments changes nothing.
   */
  public void declareTopology(Channel ch) throws IOException {
    ch.exchangeDeclare(settings.exchange(), BuiltinExchangeType.TOPIC, true);
    ch.queueDeclare(settings.erpQueue(), true, false, false, null);
    ch.queueBind(settings.erpQueue(), settings.exchange(), "inventory.#");
    ch.exchangeDeclare(settings.deadLetterExchange(), BuiltinExchangeType.FANOUT, true);
    ch.queueDeclare(settings.deadLetterQueue(), true, false, false, null);
    ch.queueBind(settings.deadLetterQueue(), settings.deadLetterExchange(), "");
    // A receipt rejected without requeue (or one that outlives a policy's limits) is kept too.
    ch.queueDeclare(
        settings.receiptsQueue(),
        true,
        false,
        false,
        Map.of("x-dead-letter-exchange", settings.deadLetterExchange()));
  }

  ErpSettings settings() {
    return settings;
  }
}
