package io.stockhold.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.stockhold.access.Principal;
import io.stockhold.reservation.ReservationReply.Refused;
import io.stockhold.reservation.ReservationService.NewReservation;
import io.stockhold.stock.StockReply.Rejection;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ReservationServiceTest {

  /**
   * Fingerprints already journaled must still match their retries. The expected values are what the
   * REST API stored for these bodies (the body's keys sorted, no spaces) and what the POS bridge
   * stored for a one-line request with a 30 s hold, before both went through the service.
   */
  @Test
  void aRequestsFingerprintIsTheOneItsTransportJournaledBefore() {
    // {"channel": "web", "lines": [{"location": "store-7", "sku": "sku-123", "quantity": 2}],
    // "ttlSeconds": 900}
    assertEquals(
        "0KFwd9L5_hYxzWCs_mDSdv",
        ReservationService.fingerprint(
            new NewReservation(
                "web",
                List.of(new ReservationLine("store-7", "sku-123", 2)),
                OptionalLong.of(900))));
    // A cart without ttlSeconds: {"lines":[{"quantity":1,"sku":"tv-55","location":"store-7"},
    // {"sku":"hdmi-2m","location":"store-7","quantity":2}],"channel":"mobile"}
    assertEquals(
        "RgV0fpz23d2HEx2WRFPIyu",
        ReservationService.fingerprint(
            new NewReservation(
                "mobile",
                List.of(
                    new ReservationLine("store-7", "tv-55", 1),
                    new ReservationLine("store-7", "hdmi-2m", 2)),
                OptionalLong.empty())));
    // POS: reserve store-7/sku-1 × 1 with ttl_seconds 30 (a POS request always names its hold
    // time: ttl_seconds 0 is filled in with the POS default before it gets here).
    assertEquals(
        "WHdR5RweLu-B5182Bapa3Q",
        ReservationService.fingerprint(
            new NewReservation(
                "pos", List.of(new ReservationLine("store-7", "sku-1", 1)), OptionalLong.of(30))));
  }

  @Test
  void anotherRequestUnderTheSameKeyHasAnotherFingerprint() {
    NewReservation one =
        new NewReservation(
            "web", List.of(new ReservationLine("store-7", "sku-123", 2)), OptionalLong.empty());
    NewReservation more =
        new NewReservation(
            "web", List.of(new ReservationLine("store-7", "sku-123", 3)), OptionalLong.empty());
    NewReservation longer =
        new NewReservation(
            "web", List.of(new ReservationLine("store-7", "sku-123", 2)), OptionalLong.of(900));
    assertNotEquals(ReservationService.fingerprint(one), ReservationService.fingerprint(more));
    assertNotEquals(ReservationService.fingerprint(one), ReservationService.fingerprint(longer));
  }

  @Test
  void anIdThatCanBeNoReservationIsNotFoundWithoutAskingAnyone() {
    // No stock items and no reservation entities: the id alone says there is nothing to ask.
    ReservationService service = new ReservationService(null, null);
    for (String id :
        List.of("nope", "h~store-7~sku-1~short", "m~", "x~store-7~sku-1~AAAAAAAAAAAAAAAAAAAAAA")) {
      ReservationReply reply = service.commit(id, Principal.MASTER).toCompletableFuture().join();
      assertEquals(Refused.of(Rejection.RESERVATION_NOT_FOUND, "no reservation " + id), reply, id);
    }
  }
}
