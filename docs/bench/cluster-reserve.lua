-- wrk script for the cluster throughput measurement in the README ("Running a cluster"):
-- single-line reservations of 1 unit, spread at random over ITEMS stock items at location "tp"
-- (stocked beforehand), each with its own Idempotency-Key, as a checkout would send them.
--   wrk -t1 -c16 -d20s -s docs/bench/cluster-reserve.lua http://127.0.0.1:8081
local items = tonumber(os.getenv("ITEMS") or "1000")
local counter = 0
local prefix = tostring(os.time()) .. "-" .. tostring(math.random(1, 1e9))

request = function()
  counter = counter + 1
  local sku = "i-" .. math.random(0, items - 1)
  local body = '{"channel":"web","ttlSeconds":3600,"lines":[{"location":"tp","sku":"' .. sku .. '","quantity":1}]}'
  return wrk.format("POST", "/v1/reservations",
    {["Content-Type"] = "application/json", ["Idempotency-Key"] = prefix .. "-" .. counter}, body)
end

done = function(summary, latency, requests)
  io.write(string.format("requests %d, errors %d (connect %d, read %d, write %d, timeout %d, 4xx/5xx %d)\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout, summary.errors.status))
end
