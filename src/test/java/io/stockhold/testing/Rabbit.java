package io.stockhold.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The RabbitMQ on 127.0.0.1:5672 with names of a test's own (exchange, queues), so tests never see
 * each other's messages; {@link #close()} deletes them.
 */
public final class Rabbit implements AutoCloseable {

  public static final int PORT = 5672;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A message as the ERP would receive it. */
  public record Delivered(String routingKey, AMQP.BasicProperties properties, byte[] body) {
    public JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    public Object header(String name) {
      Map<String, Object> h = properties.getHeaders();
      Object v = h == null ? null : h.get(name);
      return v == null ? null : v.toString();
    }
  }

  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + ".";
  private final Connection connection;
  private final Channel channel;

  public Rabbit() throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost("127.0.0.1");
    factory.setPort(PORT);
    connection = factory.newConnection("stockhold-test");
    channel = connection.createChannel();
  }

  public String exchange() {
    return prefix + "inventory";
  }

  public String erpQueue() {
    return prefix + "erp";
  }

  public String receiptsQueue() {
    return prefix + "receipts";
  }

  public String deadLetterExchange() {
    return prefix + "dead-letter";
  }

  public String deadLetterQueue() {
    return prefix + "receipts.dead";
  }

  /** The stockhold.erp settings that point a node at this broker (through {@code port}). */
  public Map<String, String> settings(int port) {
    Map<String, String> s = new HashMap<>();
    s.put("stockhold.erp.amqp-uri", "amqp://guest:guest@127.0.0.1:" + port + "/%2F");
    s.put("stockhold.erp.exchange", exchange());
    s.put("stockhold.erp.erp-queue", erpQueue());
    s.put("stockhold.erp.receipts-queue", receiptsQueue());
    s.put("stockhold.erp.dead-letter-exchange", deadLetterExchange());
    s.put("stockhold.erp.dead-letter-queue", deadLetterQueue());
    s.put("stockhold.erp.reconnect-backoff", "500ms");
    s.put("stockhold.erp.lag-interval", "1s");
    s.put("pekko.projection.restart-backoff.min-backoff", "500ms");
    s.put("pekko.projection.restart-backoff.max-backoff", "2s");
    return s;
  }

  public Config config(int port) {
    return ConfigFactory.parseMap(settings(port));
  }

  /** The same settings as JVM options, for a node in a process of its own. */
  public String javaOptions(int port) {
    StringBuilder b = new StringBuilder();
    settings(port).forEach((k, v) -> b.append("-D").append(k).append('=').append(v).append(' '));
    return b.toString().trim();
  }

  public void publish(String queue, byte[] body, AMQP.BasicProperties properties)
      throws IOException {
    channel.basicPublish("", queue, properties, body);
  }

  /**
   * Takes messages from {@code queue} until {@code done} holds for everything taken so far, or
   * fails after {@code timeout}.
   */
  public List<Delivered> take(String queue, Predicate<List<Delivered>> done, Duration timeout)
      throws Exception {
    List<Delivered> got = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.test(got)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "after "
                + timeout
                + ", "
                + got.size()
                + " message(s) on "
                + queue
                + " and still waiting");
      }
      GetResponse r = channel.basicGet(queue, true);
      if (r == null) {
        Thread.sleep(50);
      } else {
        got.add(new Delivered(r.getEnvelope().getRoutingKey(), r.getProps(), r.getBody()));
      }
    }
    return got;
  }

  public long messageCount(String queue) throws IOException {
    return channel.queueDeclarePassive(queue).getMessageCount();
  }

  @Override
  public void close() throws Exception {
    for (String q : List.of(erpQueue(), receiptsQueue(), deadLetterQueue())) {
      try (Channel c = connection.createChannel()) {
        c.queueDelete(q);
      } catch (IOException | RuntimeException gone) {
        // never declared
      }
    }
    for (String x : List.of(exchange(), deadLetterExchange())) {
      try (Channel c = connection.createChannel()) {
        c.exchangeDelete(x);
      } catch (IOException | RuntimeException gone) {
        // never declared
      }
    }
    connection.close();
  }
}
