-- wrk script: hold+capture pairs against `tally serve`, the Tally side of bench/compare.sh.
-- Run with one connection per wrk thread (-tN -cN): the thread's state is its connection's.
--   TALLY_MODE=http : one request per call: POST /v1/holds (2 credits on a random account),
--                     then POST /v1/holds/{id}/capture {"amount":"1.5"} (0.5 goes back to
--                     the lots): a pair is two requests, two durable commands.
--   TALLY_MODE=batch: POST /v1/batch of TALLY_BATCH holds, then a /v1/batch capturing each
--                     hold that was made.
--   TALLY_MODE=spend : one durable one-shot spend of 1 credit per request (POST /v1/spends on a
--                     random account, FEFO over its lots): each "pair" below is one spend.
-- A pair counts when its capture is answered 200; its latency runs from sending the hold
-- (or the batch of holds) to the capture's (or the batch of captures') answer.
-- done() prints: RESULT tally-<mode> <pairs/s> <p50 ms> <p99 ms> <pairs> <errors>
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } tally_timespec;
int clock_gettime(int clock, tally_timespec* out);
]]
local ts = ffi.new("tally_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local accounts = tonumber(os.getenv("TALLY_ACCOUNTS") or "10000")
local key = os.getenv("TALLY_KEY")
local mode = os.getenv("TALLY_MODE") or "http"
local batch = tonumber(os.getenv("TALLY_BATCH") or "256")
local prefix_env = os.getenv("TALLY_PREFIX") or "bench-"

local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  n = 0
  pairs_done = 0
  errors = 0
  lat = {}
  pending = {} -- hold ids waiting for their capture
  sent = nil   -- "hold" or "capture": what the connection is waiting for
  t_hold = 0
  prefix = "p" .. tid .. "-" .. os.time() .. "-"
  math.randomseed(os.time() * 100 + tid)
  headers = {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
  }
end

local function hold_body()
  return '{"account":"' .. prefix_env .. math.random(1, accounts) .. '","amount":"2"}'
end

function request()
  n = n + 1
  if mode == "batch" then
    local items = {}
    if #pending > 0 then
      for i, id in ipairs(pending) do
        items[i] = '{"method":"POST","path":"/v1/holds/' .. id .. '/capture","idempotency_key":"' ..
          prefix .. "c" .. n .. "-" .. i .. '","body":{"amount":"1.5"}}'
      end
      sent = "capture"
    else
      for i = 1, batch do
        items[i] = '{"method":"POST","path":"/v1/holds","idempotency_key":"' .. prefix .. "h" ..
          n .. "-" .. i .. '","body":' .. hold_body() .. '}'
      end
      sent = "hold"
      t_hold = now_us()
    end
    headers["Idempotency-Key"] = nil
    return wrk.format("POST", "/v1/batch", headers, '{"requests":[' .. table.concat(items, ",") .. ']}')
  end
  headers["Idempotency-Key"] = prefix .. n
  if mode == "spend" then
    sent = "spend"
    t_hold = now_us()
    return wrk.format("POST", "/v1/spends", headers, '{"account":"' .. prefix_env ..
      math.random(1, accounts) .. '","amount":"1","tool":"chat"}')
  end
  if #pending > 0 then
    sent = "capture"
    return wrk.format("POST", "/v1/holds/" .. table.remove(pending) .. "/capture", headers,
      '{"amount":"1.5"}')
  end
  sent = "hold"
  t_hold = now_us()
  return wrk.format("POST", "/v1/holds", headers, hold_body())
end

function response(status, hdrs, body)
  if mode == "batch" then
    if status ~= 200 then errors = errors + 1; pending = {}; return end
    if sent == "hold" then
      local made = 0
      for id in string.gmatch(body, '"status":201,"body":{"id":"(%d+)"') do
        made = made + 1
        pending[made] = id
      end
      errors = errors + (batch - made)
    else
      local t = (now_us() - t_hold) / 1000
      local captured = 0
      for _ in string.gmatch(body, '"status":200,"body":{"hold":') do
        captured = captured + 1
        lat[#lat + 1] = t
      end
      pairs_done = pairs_done + captured
      errors = errors + (#pending - captured)
      pending = {}
    end
    return
  end
  if sent == "hold" then
    local id = status == 201 and string.match(body, '^{"id":"(%d+)"')
    if id then pending[#pending + 1] = id else errors = errors + 1 end
  elseif status == (sent == "spend" and 201 or 200) then -- a spend made, or a capture
    pairs_done = pairs_done + 1
    lat[#lat + 1] = (now_us() - t_hold) / 1000
  else
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local all, total, errs = {}, 0, 0
  for _, t in ipairs(threads) do
    total = total + t:get("pairs_done")
    errs = errs + t:get("errors")
    for _, v in ipairs(t:get("lat")) do all[#all + 1] = v end
  end
  table.sort(all)
  local function pct(p)
    if #all == 0 then return 0 end
    return all[math.min(#all, math.floor(#all * p) + 1)]
  end
  local secs = summary.duration / 1e6
  errs = errs + summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout
  io.write(string.format("tally %s: %d %s in %.1f s, per request: p50 %.2f ms, p99 %.2f ms\n",
    mode, total, mode == "spend" and "spends" or "pairs", secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("RESULT tally-%s %.1f %.2f %.2f %d %d\n", mode, total / secs, pct(0.50),
    pct(0.99), total, errs))
end
