-- wrk script: one durable one-shot spend per request, keep-alive, each with its own
-- Idempotency-Key. Usage (bench/http_bench.sh runs it):
--   TALLY_KEY=... wrk -t2 -c64 -d10s -s bench/http_spend.lua http://127.0.0.1:8080
local counter = 0
local accounts = tonumber(os.getenv("TALLY_ACCOUNTS") or "1000")
local key = os.getenv("TALLY_KEY")
local mode = os.getenv("TALLY_MODE") or "spend"
batch = tonumber(os.getenv("TALLY_BATCH") or "256")

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

function init(args)
  n = 0
  prefix = "w" .. tid .. "-" .. os.time() .. "-"
end

function request()
  n = n + 1
  local account = "bench-" .. (n % accounts)
  local headers = {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. n,
  }
  if mode == "batch" then
    local items = {}
    for i = 1, batch do
      n = n + 1
      items[i] = '{"method":"POST","path":"/v1/spends","idempotency_key":"' .. prefix .. n ..
        '","body":{"account":"bench-' .. (n % accounts) .. '","amount":"0.01","tool":"chat"}}'
    end
    return wrk.format("POST", "/v1/batch", headers, '{"requests":[' .. table.concat(items, ",") .. ']}')
  end
  if mode == "hold" then
    return wrk.format("POST", "/v1/holds", headers,
      '{"account":"' .. account .. '","amount":"1","ttl_s":60}')
  end
  return wrk.format("POST", "/v1/spends", headers,
    '{"account":"' .. account .. '","amount":"0.01","tool":"chat"}')
end

local bad = 0
function response(status, headers, body)
  if status ~= 201 and status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local rps = summary.requests / (summary.duration / 1e6)
  local per = mode == "batch" and batch or 1
  io.write(string.format("%s: requests/s %.0f  commands/s %.0f  p50 %.2f ms  p99 %.2f ms  " ..
    "errors %d\n", mode, rps, rps * per, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect +
    summary.errors.read + summary.errors.write + summary.errors.timeout))
end
