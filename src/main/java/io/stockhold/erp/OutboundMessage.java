package io.stockhold.erp;

/**
 * One inventory event as it leaves for the ERP: its id (the journal's {@code <persistenceId>:<seq>},
 * for de-duplication), its kebab-case type, its routing key, and the JSON body.
 */
public record OutboundMessage(String messageId, String type, String routingKey, byte[] body) {}
