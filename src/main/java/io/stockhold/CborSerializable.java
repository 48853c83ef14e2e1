package io.stockhold;

/**
 * Marker for every message and event that may cross nodes or reach the journal; bound to {@code
 * jackson-cbor} in {@code serialization.conf}.
 */
public interface CborSerializable {}
