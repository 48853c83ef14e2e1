package io.stockhold.access;

import java.util.Optional;
import java.util.Set;

/**
 * Who makes a call: a key, the master key, or nobody in particular when checking is off. Its {@link
 * #actor()} is the name the audit trail gives it.
 */
public sealed interface Principal {

  Principal MASTER = new Master();
  Principal ANONYMOUS = new Anonymous();

  /** {@code master}, {@code anonymous}, or the key's id. */
  String actor();

  boolean has(Scope scope);

  /** Whether this principal may touch items at {@code location}. */
  boolean mayTouch(String location);

  /** The only locations this principal may touch; empty when it may touch every location. */
  default Optional<Set<String>> onlyLocations() {
    return Optional.empty();
  }

  /**
   * What sets this principal's idempotency keys apart from everybody else's: nothing for the master
   * key and with checking off (their operation ids are derived exactly as before keys existed, so
   * older journals and retries still match), the key's id otherwise.
   */
  default String idempotencyScope() {
    return "";
  }

  /** The master key: every scope, every location. */
  record Master() implements Principal {
    @Override
    public String actor() {
      return "master";
    }

    @Override
    public boolean has(Scope scope) {
      return true;
    }

    @Override
    public boolean mayTouch(String location) {
      return true;
    }
  }

  /** With checking off ({@code STOCKHOLD_AUTH=off}): anybody may do anything. */
  record Anonymous() implements Principal {
    @Override
    public String actor() {
      return "anonymous";
    }

    @Override
    public boolean has(Scope scope) {
      return true;
    }

    @Override
    public boolean mayTouch(String location) {
      return true;
    }
  }

  /** An API key. */
  record Key(ApiKey key) implements Principal {
    @Override
    public String actor() {
      return key.keyId();
    }

    @Override
    public boolean has(Scope scope) {
      return key.scopes().contains(scope);
    }

    @Override
    public boolean mayTouch(String location) {
      return key.locations().isEmpty() || key.locations().contains(location);
    }

    @Override
    public Optional<Set<String>> onlyLocations() {
      return key.locations().isEmpty() ? Optional.empty() : Optional.of(key.locations());
    }

    @Override
    public String idempotencyScope() {
      return key.keyId();
    }
  }
}
