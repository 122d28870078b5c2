package redisstore

import "github.com/redis/go-redis/v9"

// luaLib is shared by the citizen scripts. Sequence numbers stay decimal
// strings: newer compares them exactly over the whole uint64 range, where
// Lua numbers are doubles.
const luaLib = `
local function newer(a, b)
  if #a ~= #b then return #a > #b end
  return a > b
end
local function assurance(v)
  return tonumber(string.match(v, '^%d+'))
end
-- link adds enc under key unless the stored link has an assurance at least
-- as high; it returns the link kept.
local function link(l, key, enc)
  local cur = redis.call('HGET', l, key)
  if cur and assurance(cur) >= assurance(enc) then return cur end
  redis.call('HSET', l, key, enc)
  return enc
end
-- split_case cuts a stored case "seq:n:" .. opened .. rest.
local function split_case(v)
  local s, n = string.match(v, '^(%d+):(%d+):')
  local from = #s + #n + 3
  local to = from + tonumber(n)
  return s, string.sub(v, from, to - 1), string.sub(v, to)
end
-- upsert_case stores the case unless the stored one is as new, keeping the
-- stored OpenedAt part.
local function upsert_case(k, ref, seq, opened, rest)
  local cur = redis.call('HGET', k, ref)
  if cur then
    local s, o = split_case(cur)
    if not newer(seq, s) then return end
    opened = o
  end
  redis.call('HSET', k, ref, seq .. ':' .. #opened .. ':' .. opened .. rest)
end
`

// changeScript applies one change to one citizen.
// KEYS: c, l, k, t. ARGV: seq, occurred_at, timeline member ("" for none),
// has case ("1"/""), case reference, case opened part, case rest, then
// link key and encoded link pairs.
var changeScript = redis.NewScript(luaLib + `
local c, l, k, t = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local seq, at = ARGV[1], ARGV[2]
local ver = redis.call('HGET', c, 'version')
if not ver then
  redis.call('HSET', c, 'created_seq', seq, 'created_at', at, 'version', seq, 'updated_at', at)
elseif newer(seq, ver) then
  redis.call('HSET', c, 'version', seq, 'updated_at', at)
end
if ARGV[3] ~= '' then redis.call('ZADD', t, seq, ARGV[3]) end
if ARGV[4] == '1' then upsert_case(k, ARGV[5], seq, ARGV[6], ARGV[7]) end
for i = 8, #ARGV, 2 do link(l, ARGV[i], ARGV[i + 1]) end
return 1
`)

// indexScript points an identifier at a citizen.
// KEYS: the index key. ARGV: owner, assurance, merged citizen.
// Without a merged citizen (Apply) it never lowers the assurance an owner
// already has; with one (a merge) it only moves entries that point at the
// merged citizen or the owner.
var indexScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur then
  local a, o = string.match(cur, '^(%d+):(.*)$')
  if ARGV[3] == '' then
    if o == ARGV[1] and tonumber(a) >= tonumber(ARGV[2]) then return 0 end
  elseif o ~= ARGV[1] and o ~= ARGV[3] then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[2] .. ':' .. ARGV[1])
return 1
`)

// metaScript records the applied position if the epoch is the caller's.
// KEYS: meta. ARGV: epoch, applied seq. It returns 0 on a wrong epoch.
var metaScript = redis.NewScript(luaLib + `
if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[1] then return 0 end
local cur = redis.call('HGET', KEYS[1], 'applied_seq')
if not cur or newer(ARGV[2], cur) then
  redis.call('HSET', KEYS[1], 'applied_seq', ARGV[2])
end
return 1
`)

// mergeScript adds a merged citizen's links and cases to the target and
// appends it to the target's merged list.
// KEYS: target c, l, k. ARGV: merged id, link count n, n link key and
// encoded link pairs, then case reference and stored case pairs.
// It returns the target's link key and assurance pairs for those links.
var mergeScript = redis.NewScript(luaLib + `
local c, l, k = KEYS[1], KEYS[2], KEYS[3]
local from, n = ARGV[1], tonumber(ARGV[2])
local out = {}
for i = 3, 2 + 2 * n, 2 do
  out[#out + 1] = ARGV[i]
  out[#out + 1] = tostring(assurance(link(l, ARGV[i], ARGV[i + 1])))
end
for i = 3 + 2 * n, #ARGV, 2 do
  local s, opened, rest = split_case(ARGV[i + 1])
  upsert_case(k, ARGV[i], s, opened, rest)
end
local m = redis.call('HGET', c, 'merged')
if not m or m == '' then
  redis.call('HSET', c, 'merged', from)
elseif not string.find('\n' .. m .. '\n', '\n' .. from .. '\n', 1, true) then
  redis.call('HSET', c, 'merged', m .. '\n' .. from)
end
return out
`)
