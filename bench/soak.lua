-- wrk script for bench/soak.sh: a mixed workload, one connection per wrk thread (-tN -cN).
-- Per request, by weight: hold 2 credits then capture 1.5 of it (30), hold then release (10),
-- one-shot spend of 1 (25), grant of 20 credits valid for TALLY_GRANT_VALIDITY (5), balance
-- read (20), first page of history (10). A hold's capture or release is the connection's next
-- request. Accounts `bench-1` .. `bench-TALLY_ACCOUNTS`, chosen at random.
-- done() prints: INTERVAL <requests/s> <p50 ms> <p99 ms> <requests> <failed> <kind:failed ...>
local accounts = tonumber(os.getenv("TALLY_ACCOUNTS") or "10000")
local key = os.getenv("TALLY_KEY")
local validity = os.getenv("TALLY_GRANT_VALIDITY") or "PT2M"

local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  n = 0
  pending = nil -- {id, "capture" | "release"}
  sent = nil
  failed = {}
  prefix = "s" .. tid .. "-" .. os.time() .. "-"
  math.randomseed(os.time() * 100 + tid)
  headers = {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}
  get_headers = {["Authorization"] = "Bearer " .. key}
end

local function account() return "bench-" .. math.random(1, accounts) end

function request()
  n = n + 1
  headers["Idempotency-Key"] = prefix .. n
  if pending then
    local id, next = pending[1], pending[2]
    pending = nil
    sent = next
    if next == "capture" then
      return wrk.format("POST", "/v1/holds/" .. id .. "/capture", headers, '{"amount":"1.5"}')
    end
    return wrk.format("POST", "/v1/holds/" .. id .. "/release", headers, '{"reason":"soak"}')
  end
  local r = math.random(1, 100)
  if r <= 40 then
    sent = r <= 30 and "hold-capture" or "hold-release"
    return wrk.format("POST", "/v1/holds", headers,
      '{"account":"' .. account() .. '","amount":"2","ttl_s":60}')
  elseif r <= 65 then
    sent = "spend"
    return wrk.format("POST", "/v1/spends", headers, '{"account":"' .. account() .. '","amount":"1"}')
  elseif r <= 70 then
    sent = "grant"
    return wrk.format("POST", "/v1/accounts/" .. account() .. "/grants", headers,
      '{"amount":"20","reason":"soak","valid_for":"' .. validity .. '"}')
  elseif r <= 90 then
    sent = "balance"
    return wrk.format("GET", "/v1/accounts/" .. account() .. "/balance", get_headers)
  end
  sent = "history"
  return wrk.format("GET", "/v1/accounts/" .. account() .. "/entries?limit=20", get_headers)
end

local expected = {["hold-capture"] = 201, ["hold-release"] = 201, spend = 201, grant = 201,
  capture = 200, release = 200, balance = 200, history = 200}

function response(status, hdrs, body)
  if status ~= expected[sent] then
    failed[sent] = (failed[sent] or 0) + 1
    return
  end
  if sent == "hold-capture" or sent == "hold-release" then
    local id = string.match(body, '^{"id":"(%d+)"')
    pending = {id, sent == "hold-capture" and "capture" or "release"}
  end
end

function done(summary, latency, requests)
  local total, kinds = 0, {}
  for _, t in ipairs(threads) do
    for kind, count in pairs(t:get("failed")) do
      kinds[kind] = (kinds[kind] or 0) + count
      total = total + count
    end
  end
  local text = {}
  for kind, count in pairs(kinds) do text[#text + 1] = kind .. ":" .. count end
  total = total + summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout
  io.write(string.format("INTERVAL %.1f %.2f %.2f %d %d %s\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests, total, table.concat(text, " ")))
end
