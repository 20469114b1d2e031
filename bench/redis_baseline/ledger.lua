-- The Redis peer baseline's ledger (bench/redis_baseline/run.sh loads it with SCRIPT LOAD and
-- redis-benchmark calls it with EVALSHA): FEFO credit lots the way a Redis-backed billing
-- service would keep them, over the data load.sql gives PostgreSQL. Per account a:
--   lots:a  sorted set of the account's lot numbers, scored by expiry (Unix ms)
--   rem:a   hash lot -> remaining micro-credits     acct:a  hash available, held
--   j:a     the account's journal, one list item per lot movement ("kind lot amount balance")
-- and hold:<id> / spend:<id> hashes numbered by the counters next_hold / next_spend.
-- Every call is one script = one atomic change = one AOF write (appendfsync always: fsynced
-- before the reply). Time is the server's (TIME; Redis 7 replicates a script's effects).
--   EVALSHA sha 0 load <accounts> <lots>   the data (lot k: 20 * 4^k credits, expiring
--                                          (k + 1) weeks + (a mod 60) minutes from now)
--   EVALSHA sha 0 spend <n> <amount>       spend from account n + 1 (redis-benchmark's
--                                          __rand_int__ counts from 0), FEFO; refuses with
--                                          insufficient_credits, nothing taken
--   EVALSHA sha 0 pair <n>                 hold 2 credits FEFO on account n + 1 recording the
--                                          portions, then capture 1.5: the portions are
--                                          consumed in the order taken, 0.5 goes back to its lots
--   EVALSHA sha 0 check                    "accounts bad spends holds_captured consumed"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local credit = 1000000

-- The unexpired lots of account a with something left, earliest expiry first, taken until
-- amount is covered: a list of {lot, take}, or nil when they do not cover it.
local function fefo(a, amount)
  local lots = redis.call('ZRANGEBYSCORE', 'lots:' .. a, '(' .. now, '+inf')
  if #lots == 0 then return nil end
  local rem = redis.call('HMGET', 'rem:' .. a, unpack(lots))
  local takes, left = {}, amount
  for i, lot in ipairs(lots) do
    local r = tonumber(rem[i])
    if r > 0 then
      local take = math.min(r, left)
      takes[#takes + 1] = {lot, take}
      left = left - take
      if left == 0 then return takes end
    end
  end
  return nil
end

local function journal(a, kind, lot, amount, balance)
  redis.call('RPUSH', 'j:' .. a, kind .. ' ' .. lot .. ' ' .. amount .. ' ' .. balance)
end

local op = ARGV[1]
if op == 'load' then
  local accounts, lots = tonumber(ARGV[2]), tonumber(ARGV[3])
  for a = 1, accounts do
    local total = 0
    for k = 0, lots - 1 do
      local amount = 20 * credit * math.floor(4 ^ k)
      total = total + amount
      redis.call('ZADD', 'lots:' .. a, now + ((k + 1) * 7 * 86400 + (a % 60) * 60) * 1000, k)
      redis.call('HSET', 'rem:' .. a, k, amount)
      journal(a, 'grant', k, amount, total)
    end
    redis.call('HSET', 'acct:' .. a, 'available', total, 'held', 0, 'granted', total)
  end
  return accounts
end

if op == 'spend' then
  local a, amount = tonumber(ARGV[2]) + 1, tonumber(ARGV[3]) * credit
  local takes = fefo(a, amount)
  if not takes then return redis.error_reply('insufficient_credits: account ' .. a) end
  local available = tonumber(redis.call('HGET', 'acct:' .. a, 'available'))
  local id = redis.call('INCR', 'next_spend')
  for _, p in ipairs(takes) do
    redis.call('HINCRBY', 'rem:' .. a, p[1], -p[2])
    available = available - p[2]
    journal(a, 'spend', p[1], -p[2], available)
  end
  redis.call('HSET', 'acct:' .. a, 'available', available)
  redis.call('HSET', 'spend:' .. id, 'account', a, 'amount', amount, 'at', now)
  return id
end

if op == 'pair' then
  local a, amount, capture = tonumber(ARGV[2]) + 1, 2 * credit, 3 * credit / 2
  -- The hold.
  local takes = fefo(a, amount)
  if not takes then return redis.error_reply('insufficient_credits: account ' .. a) end
  local available = tonumber(redis.call('HGET', 'acct:' .. a, 'available'))
  local hold = redis.call('INCR', 'next_hold')
  local portions = {}
  for i, p in ipairs(takes) do
    redis.call('HINCRBY', 'rem:' .. a, p[1], -p[2])
    available = available - p[2]
    journal(a, 'hold', p[1], -p[2], available)
    portions[i] = p[1] .. ':' .. p[2]
  end
  redis.call('HSET', 'hold:' .. hold, 'account', a, 'amount', amount, 'state', 'active',
    'expires', now + 15 * 60000, 'portions', table.concat(portions, ','))
  redis.call('HINCRBY', 'acct:' .. a, 'held', amount)
  redis.call('HSET', 'acct:' .. a, 'available', available)
  -- The capture, reading the hold back as a separate call would.
  local h = redis.call('HMGET', 'hold:' .. hold, 'state', 'expires', 'portions', 'amount')
  if h[1] ~= 'active' or tonumber(h[2]) <= now then return redis.error_reply('hold_not_active') end
  local spend = redis.call('INCR', 'next_spend')
  local left = capture
  for lot, n in string.gmatch(h[3], '(%d+):(%d+)') do
    n = tonumber(n)
    local take = math.min(n, left)
    left = left - take
    if take > 0 then journal(a, 'capture', lot, 0, available) end
    if n > take then
      redis.call('HINCRBY', 'rem:' .. a, lot, n - take)
      available = available + (n - take)
      journal(a, 'release', lot, n - take, available)
    end
  end
  redis.call('HSET', 'spend:' .. spend, 'account', a, 'hold', hold, 'amount', capture, 'at', now)
  redis.call('HSET', 'hold:' .. hold, 'state', 'captured')
  redis.call('HINCRBY', 'acct:' .. a, 'held', -tonumber(h[4]))
  redis.call('HSET', 'acct:' .. a, 'available', available)
  return spend
end

if op == 'check' then
  -- Every account's lots add up to its cached balance, nothing is left held, and what the
  -- lots lost is what the spends took.
  local bad, consumed, i = 0, 0, 1
  while redis.call('EXISTS', 'acct:' .. i) == 1 do
    local acct = redis.call('HMGET', 'acct:' .. i, 'available', 'held', 'granted')
    local sum = 0
    for _, r in ipairs(redis.call('HVALS', 'rem:' .. i)) do sum = sum + tonumber(r) end
    if sum ~= tonumber(acct[1]) or tonumber(acct[2]) ~= 0 then bad = bad + 1 end
    consumed = consumed + tonumber(acct[3]) - sum
    i = i + 1
  end
  local spent, n = 0, tonumber(redis.call('GET', 'next_spend') or '0')
  for s = 1, n do spent = spent + tonumber(redis.call('HGET', 'spend:' .. s, 'amount')) end
  if spent ~= consumed then bad = bad + 1 end
  return {i - 1, bad, n, tonumber(redis.call('GET', 'next_hold') or '0'), tostring(consumed)}
end
return redis.error_reply('unknown op ' .. tostring(op))
