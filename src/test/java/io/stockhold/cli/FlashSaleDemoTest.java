package io.stockhold.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class FlashSaleDemoTest {

  @Test
  void theSaleNamesOnlyTheChannelsItsBuyersUse() {
    assertEquals(List.of("web"), FlashSaleDemo.channelsOf(1));
    assertEquals(List.of("web", "mobile"), FlashSaleDemo.channelsOf(2));
    assertEquals(List.of("web", "mobile", "pos"), FlashSaleDemo.channelsOf(4));
  }
}
