package io.stockhold.api.http;

/**
 * The route a request path belongs to, named as the OpenAPI document names it ({@code
 * /v1/stock/{location}/{sku}}): what metrics are tagged with and access lines say, so the number of
 * series stays fixed however many items there are; the API's documentation page and its files are
 * {@code /docs}. Anything else is {@code other}.
 */
public final class RouteTemplates {

  public static final String OTHER = "other";

  private RouteTemplates() {}

  public static String of(String path) {
    if (path.equals("/docs") || path.startsWith("/docs/")) return "/docs";
    String[] p = path.split("/", -1);
    // p[0] is the empty string before the leading slash.
    if (p.length < 3 || !p[0].isEmpty() || !p[1].equals("v1")) return OTHER;
    return switch (p[2]) {
      case "stock" ->
          switch (p.length) {
            case 3 -> "/v1/stock";
            case 5 -> "/v1/stock/{location}/{sku}";
            case 6 ->
                switch (p[5]) {
                  case "adjustments" -> "/v1/stock/{location}/{sku}/adjustments";
                  case "incoming" -> "/v1/stock/{location}/{sku}/incoming";
                  case "policy" -> "/v1/stock/{location}/{sku}/policy";
                  case "history" -> "/v1/stock/{location}/{sku}/history";
                  default -> OTHER;
                };
            default -> OTHER;
          };
      case "reservations" ->
          switch (p.length) {
            case 3 -> "/v1/reservations";
            case 4 -> "/v1/reservations/{reservationId}";
            case 5 ->
                switch (p[4]) {
                  case "commit" -> "/v1/reservations/{reservationId}/commit";
                  case "release" -> "/v1/reservations/{reservationId}/release";
                  case "extend" -> "/v1/reservations/{reservationId}/extend";
                  default -> OTHER;
                };
            default -> OTHER;
          };
      case "transfers" ->
          switch (p.length) {
            case 3 -> "/v1/transfers";
            case 4 -> "/v1/transfers/{transferId}";
            case 5 -> p[4].equals("receive") ? "/v1/transfers/{transferId}/receive" : OTHER;
            default -> OTHER;
          };
      case "pools" ->
          switch (p.length) {
            case 4 -> "/v1/pools/{pool}";
            case 6 -> p[4].equals("stock") ? "/v1/pools/{pool}/stock/{sku}" : OTHER;
            default -> OTHER;
          };
      case "kits" -> p.length == 4 ? "/v1/kits/{sku}" : OTHER;
      case "keys" ->
          switch (p.length) {
            case 3 -> "/v1/keys";
            case 4 -> "/v1/keys/{keyId}";
            default -> OTHER;
          };
      case "openapi.yaml" -> p.length == 3 ? "/v1/openapi.yaml" : OTHER;
      case "asyncapi.yaml" -> p.length == 3 ? "/v1/asyncapi.yaml" : OTHER;
      default -> OTHER;
    };
  }
}
