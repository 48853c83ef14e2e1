#!/usr/bin/env bash
# Reservations per second of 1, 2 and 3 local nodes (conf/node1..3.conf) on one PostgreSQL, with wrk
# (apt-get install wrk). Each run: a fresh database, ITEMS items stocked, 10 s of warm-up, then SECS
# seconds of single-line reservations spread over the items, CONNS connections split evenly over the
# nodes; the journal is verified afterwards. The README's "Running a cluster" has the numbers.
#   docs/bench/cluster-throughput.sh            (NODES="1 2 3" CONNS=48 SECS=30 ITEMS=1000)
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."
. bin/java-env
export STOCKHOLD_ACCESS_LOG=WARN
JAR=target/stockhold.jar
[ -f "$JAR" ] || mvn -B -q -DskipTests package
CONNS=${CONNS:-48}; SECS=${SECS:-30}; ITEMS=${ITEMS:-1000}; OUT=${OUT:-target/cluster-throughput}
mkdir -p "$OUT"
for n in ${NODES:-1 2 3}; do
  db=stockhold_tp_${n}_$$
  psql -q -h 127.0.0.1 -U postgres -c "create database $db"
  export STOCKHOLD_DB_URL=jdbc:postgresql://127.0.0.1:5432/$db
  pids=()
  for i in $(seq 1 "$n"); do
    "$JAVA_HOME/bin/java" --sun-misc-unsafe-memory-access=allow -Xms512m -Xmx1g -jar "$JAR" serve \
      --config "conf/node$i.conf" >"$OUT/node$i.log" 2>&1 &
    pids+=($!)
    # node1 forms the cluster first
    [ "$i" = 1 ] && until curl -fs -o /dev/null localhost:7621/ready; do sleep 0.5; done
  done
  for i in $(seq 1 "$n"); do until curl -fs -o /dev/null "localhost:762$i/ready"; do sleep 0.5; done; done
  seq 0 $((ITEMS - 1)) | xargs -P 8 -I{} curl -s -o /dev/null -XPOST "localhost:8081/v1/stock/tp/i-{}/adjustments" \
    -H 'content-type: application/json' -d '{"setOnHand":1000000,"reason":"count"}'
  for i in $(seq 1 "$n"); do
    ITEMS=$ITEMS wrk -t1 -c$((CONNS / n)) -d10s -s docs/bench/cluster-reserve.lua "http://127.0.0.1:808$i" >/dev/null &
  done
  sleep 12
  for i in $(seq 1 "$n"); do
    ITEMS=$ITEMS wrk -t1 -c$((CONNS / n)) -d"${SECS}s" --latency -s docs/bench/cluster-reserve.lua \
      "http://127.0.0.1:808$i" >"$OUT/wrk-$n-$i.txt" &
  done
  sleep $((SECS + 3))
  total=0
  for i in $(seq 1 "$n"); do
    r=$(awk '/Requests\/sec/{print $2}' "$OUT/wrk-$n-$i.txt")
    total=$(echo "$total + $r" | bc)
    echo "  node$i: $(grep -E 'Requests/sec|50%|99%|requests [0-9]' "$OUT/wrk-$n-$i.txt" | tr -s ' \n' ' ')"
  done
  echo "$n node(s): $total reservations/s ($CONNS connections, $ITEMS items, ${SECS} s)"
  for p in "${pids[@]}"; do kill -TERM "$p"; done
  for p in "${pids[@]}"; do wait "$p"; done
  bin/stockhold verify --config conf/postgres.conf --limit 0 | tail -1
  psql -q -h 127.0.0.1 -U postgres -c "drop database $db with (force)"
done
