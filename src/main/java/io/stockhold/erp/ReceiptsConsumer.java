package io.stockhold.erp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import io.stockhold.idempotency.Idempotency;
import io.stockhold.stock.StockItems;
import io.stockhold.stock.StockReply;
import io.stockhold.stock.StockRequest;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Goods receipts in: each message on the receipts queue becomes one adjustment (reason {@code
 * receipt}) of its stock item, applied once per receiptId, and is acknowledged only after the
 * adjustment is journaled. A message that can never apply (not a receipt, or a receiptId reused for
 * another receipt) is republished to the dead-letter exchange with the reason in header {@value
 * Broker#ERROR_HEADER}, then acknowledged, so it never blocks the queue. When the item cannot
 * answer right now the receipt is tried again after a pause, still unacknowledged.
 */
public final class ReceiptsConsumer implements AutoCloseable {

  /** The actor of every adjustment a goods receipt makes, in the audit trail. */
  public static final String ACTOR = "erp-receipts";

  private static final Logger LOG = LoggerFactory.getLogger(ReceiptsConsumer.class);

  private final ActorSystem<?> system;
  private final Broker broker;
  private final ErpSettings settings;
  private final StockItems items;
  private volatile boolean closed;
  private Connection connection;

  private ReceiptsConsumer(ActorSystem<?> system, Broker broker, StockItems items) {
    this.system = system;
    this.broker = broker;
    this.settings = broker.settings();
    this.items = items;
  }

  /** Starts consuming now if the broker answers, else keeps trying with a pause in between. */
  public static ReceiptsConsumer start(ActorSystem<?> system, Broker broker, StockItems items) {
    ReceiptsConsumer consumer = new ReceiptsConsumer(system, broker, items);
    system.getWhenTerminated().thenRun(consumer::close);
    consumer.connect();
    return consumer;
  }

  private synchronized void connect() {
    if (closed) return;
    try {
      Connection c = broker.connect("stockhold-receipts");
      Channel ch = c.createChannel();
      broker.declareTopology(ch);
      ch.basicQos(settings.receiptsPrefetch());
      Channel deadLetters = c.createChannel();
      deadLetters.confirmSelect();
      c.addShutdownListener(cause -> lost(cause));
      connection = c;
      ch.basicConsume(
          settings.receiptsQueue(), false, "stockhold-receipts", new Handler(ch, deadLetters));
      LOG.info("Receipts: consuming {} on {}", settings.receiptsQueue(), broker.description());
    } catch (Exception e) {
      LOG.warn(
          "Receipts: broker {} not reachable ({}); retrying in {}",
          broker.description(),
          e.toString(),
          settings.reconnectBackoff());
      retryLater();
    }
  }

  private void lost(ShutdownSignalException cause) {
    if (closed || cause.isInitiatedByApplication()) return;
    LOG.warn(
        "Receipts: connection lost ({}); reconnecting in {}",
        cause.getMessage(),
        settings.reconnectBackoff());
    retryLater();
  }

  private void retryLater() {
    if (closed) return;
    system
        .scheduler()
        .scheduleOnce(settings.reconnectBackoff(), this::connect, system.executionContext());
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (connection != null) {
      try {
        connection.close(2000);
      } catch (Exception ignored) {
        // Closing anyway; unacknowledged receipts go back to the queue.
      }
    }
  }

  private final class Handler extends DefaultConsumer {
    private final Channel deadLetters;

    Handler(Channel channel, Channel deadLetters) {
      super(channel);
      this.deadLetters = deadLetters;
    }

    @Override
    public void handleDelivery(
        String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
      long delivery = envelope.getDeliveryTag();
      Receipt receipt;
      try {
        receipt = Receipt.parse(body);
      } catch (Receipt.InvalidReceipt invalid) {
        deadLetter(delivery, props, body, invalid.getMessage());
        return;
      }
      apply(receipt, delivery, props, body);
    }

    private void apply(Receipt receipt, long delivery, AMQP.BasicProperties props, byte[] body) {
      StockRequest.Adjust adjust =
          new StockRequest.Adjust(
              Idempotency.operationId(Idempotency.RECEIPTS, receipt.receiptId()),
              receipt.fingerprint(),
              receipt.quantity(),
              null,
              "receipt",
              receipt.reference(),
              ACTOR,
              receipt.incomingId());
      CompletionStage<StockReply> reply = items.submit(receipt.item(), adjust);
      reply.whenComplete(
          (r, failure) -> {
            if (r instanceof StockReply.LevelReply) {
              ack(delivery);
            } else if (r instanceof StockReply.Rejected rejected) {
              String reason =
                  rejected.reason() == StockReply.Rejection.IDEMPOTENCY_KEY_REUSED
                      ? "receiptId "
                          + receipt.receiptId()
                          + " was already applied with a different body"
                      : rejected.reason().slug() + ": " + rejected.detail();
              deadLetter(delivery, props, body, reason);
            } else {
              // Overloaded, restarting or timed out: the receipt is fine, the item is busy.
              String why = failure != null ? failure.toString() : String.valueOf(r);
              LOG.info(
                  "Receipts: {} for {} not applied yet ({}); trying again in {}",
                  receipt.receiptId(),
                  receipt.item(),
                  why,
                  settings.reconnectBackoff());
              system
                  .scheduler()
                  .scheduleOnce(
                      settings.reconnectBackoff(),
                      () -> apply(receipt, delivery, props, body),
                      system.executionContext());
            }
          });
    }

    private void deadLetter(long delivery, AMQP.BasicProperties props, byte[] body, String reason) {
      Map<String, Object> headers = new HashMap<>();
      if (props.getHeaders() != null) headers.putAll(props.getHeaders());
      headers.put(Broker.ERROR_HEADER, reason);
      AMQP.BasicProperties withReason = props.builder().headers(headers).deliveryMode(2).build();
      try {
        synchronized (deadLetters) {
          deadLetters.basicPublish(
              settings.deadLetterExchange(), settings.receiptsQueue(), withReason, body);
          deadLetters.waitForConfirmsOrDie(settings.confirmTimeout().toMillis());
        }
        LOG.warn("Receipts: message {} dead-lettered: {}", props.getMessageId(), reason);
        ack(delivery);
      } catch (Exception e) {
        // Not acknowledged: the broker delivers it again once the connection is back.
        LOG.warn(
            "Receipts: could not dead-letter message {} ({}); it stays on the queue",
            props.getMessageId(),
            e.toString());
      }
    }

    private void ack(long delivery) {
      Channel ch = getChannel();
      try {
        synchronized (ch) {
          ch.basicAck(delivery, false);
        }
      } catch (IOException | RuntimeException e) {
        // The channel closed meanwhile; the broker redelivers, and the receiptId makes that
        // harmless.
        LOG.info(
            "Receipts: ack of delivery {} lost ({}); it will be redelivered and recognized",
            delivery,
            e.toString());
      }
    }
  }
}
