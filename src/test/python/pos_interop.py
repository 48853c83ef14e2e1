"""A POS terminal written against Stockhold with nothing but a stock gRPC library (grpcio) and
protobuf: no code generated from pos.proto. It learns the service from the server's reflection,
builds the message classes at run time, calls every kind of RPC and prints what it saw as JSON.

    STOCKHOLD_API_KEY=<key> python3 pos_interop.py <host> <port> <location>

The caller has stocked <location>/apple with 5 and <location>/pear with 11 units. Every call,
reflection included, presents the key from STOCKHOLD_API_KEY as `authorization: Bearer <key>`
metadata (an environment variable, not an argument, so the key does not show in a process list).
"""
import json
import os
import sys
import time

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

SERVICE = "stockhold.pos.v1.PointOfSale"
REFLECTION = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"


# ---- just enough of the protobuf wire format for the reflection messages

def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field(number, payload):
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def read_varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def fields(buf):
    out, i = {}, 0
    while i < len(buf):
        key, i = read_varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = read_varint(buf, i)
        elif wire == 2:
            length, i = read_varint(buf, i)
            value, i = buf[i:i + length], i + length
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wire)
        out.setdefault(number, []).append(value)
    return out


def reflect(channel, request, auth):
    call = channel.stream_stream(REFLECTION)
    return fields(next(iter(call(iter([request]), timeout=20, metadata=auth))))


def message_classes(file_proto):
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file_proto)
    factory = message_factory.MessageFactory(pool)
    get = getattr(message_factory, "GetMessageClass", None)
    classes = {}
    for name in ["ReserveRequest", "Reservation", "ReservationRef", "StockRef", "StockLevel",
                 "WatchStockRequest", "OfflineSale", "SyncSummary"]:
        desc = pool.FindMessageTypeByName("stockhold.pos.v1." + name)
        classes[name] = get(desc) if get else factory.GetPrototype(desc)
    return classes


def main():
    host, port, location = sys.argv[1], sys.argv[2], sys.argv[3]
    key = os.environ.get("STOCKHOLD_API_KEY")
    if not key:
        sys.exit("set STOCKHOLD_API_KEY to the key to present")
    auth = (("authorization", "Bearer " + key),)
    seen = {}
    with grpc.insecure_channel("%s:%s" % (host, port)) as channel:
        listed = reflect(channel, field(7, b"*"), auth)
        services = [fields(s)[1][0].decode() for s in fields(listed[6][0])[1]]
        seen["services"] = services
        found = reflect(channel, field(4, SERVICE.encode()), auth)
        file_proto = descriptor_pb2.FileDescriptorProto.FromString(fields(found[4][0])[1][0])
        m = message_classes(file_proto)

        def unary(method, response):
            return channel.unary_unary("/%s/%s" % (SERVICE, method),
                                       request_serializer=lambda msg: msg.SerializeToString(),
                                       response_deserializer=m[response].FromString)

        get_stock = unary("GetStock", "StockLevel")
        level = get_stock(m["StockRef"](location=location, sku="apple"), timeout=20, metadata=auth)
        seen["apple"] = {"onHand": level.on_hand, "reserved": level.reserved, "available": level.available}

        reserve = unary("Reserve", "Reservation")
        request = m["ReserveRequest"](request_id="py-1", terminal_id="py-till",
                                      lines=[{"location": location, "sku": "apple", "quantity": 2}])
        first = reserve(request, timeout=20, metadata=auth)
        again = reserve(request, timeout=20, metadata=auth)
        seen["reserve"] = {"status": first.status, "replayedSameId": first.reservation_id == again.reservation_id}
        commit = unary("Commit", "Reservation")
        seen["commit"] = commit(m["ReservationRef"](reservation_id=first.reservation_id), timeout=20, metadata=auth).status

        try:
            get_stock(m["StockRef"](location=location, sku="ghost"), timeout=20, metadata=auth)
            seen["ghost"] = "OK"
        except grpc.RpcError as e:
            seen["ghost"] = e.code().name
        try:
            reserve(m["ReserveRequest"](lines=[{"location": location, "sku": "apple", "quantity": 0}]), timeout=20, metadata=auth)
            seen["badQuantity"] = "OK"
        except grpc.RpcError as e:
            seen["badQuantity"] = [e.code().name, e.details()]

        watch = channel.unary_stream("/%s/WatchStock" % SERVICE,
                                     request_serializer=lambda msg: msg.SerializeToString(),
                                     response_deserializer=m["StockLevel"].FromString)
        stream = watch(m["WatchStockRequest"](location=location, skus=["apple"]), timeout=30, metadata=auth)
        current = next(stream)
        seen["watchFirst"] = {"sku": current.sku, "onHand": current.on_hand}
        stream.cancel()

        sync = channel.stream_unary("/%s/SyncOfflineSales" % SERVICE,
                                    request_serializer=lambda msg: msg.SerializeToString(),
                                    response_deserializer=m["SyncSummary"].FromString)
        sold_at = int(time.time() * 1000) - 60_000
        sales = [m["OfflineSale"](sale_id=sid, terminal_id="py-till", location=location, sku="pear",
                                  quantity=q, sold_at_epoch_ms=sold_at)
                 for sid, q in [("p1", 1), ("p1", 1), ("p2", 12)]]
        summary = sync(iter(sales), timeout=30, metadata=auth)
        seen["sync"] = {"applied": summary.applied, "duplicates": summary.duplicates,
                        "oversold": summary.oversold, "rejected": summary.rejected}
        seen["pearOnHand"] = get_stock(m["StockRef"](location=location, sku="pear"), timeout=20, metadata=auth).on_hand
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
