package redisstore

import "github.com/redis/go-redis/v9"

// luaNewer compares sequence numbers, which stay decimal strings: newer
// compares them exactly over the whole uint64 range, where Lua numbers
// are doubles.
const luaNewer = `
local function newer(a, b)
  if #a ~= #b then return #a > #b end
  return a > b
end
`

// luaLib keeps links and cases, as the merge script adds them.
const luaLib = luaNewer + `
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

// luaAnswer keeps a citizen's answer records. Stored answers are
// "seq:version:id" (last by topic) and "seq:version:channel:id" (first by
// context version and topic); ids come last so they need no escaping.
const luaAnswer = `
local function last_answer(v)
  return string.match(v, '^%d+:(%d+):(.*)$')
end
-- holds tells whether one of the citizen's topics has answer id at version.
local function holds(a, id, version)
  for _, x in ipairs(redis.call('HVALS', a)) do
    local v, i = last_answer(x)
    if v == version and i == id then return true end
  end
  return false
end
-- answer records an answer given and returns the global writes it calls
-- for, JSON-encoded, or nil when there are none: the holder sets to leave
-- and join, and a divergence from the first answer at the context version.
local function answer(a, v, seq, topic, id, version, cv, channel)
  local out = {}
  local cur = redis.call('HGET', a, topic)
  redis.call('HSET', a, topic, seq .. ':' .. version .. ':' .. id)
  local pv, pid
  if cur then pv, pid = last_answer(cur) end
  if pv ~= version or pid ~= id then
    out.add, out.addv = id, version
    if cur and not holds(a, pid, pv) then out.rm, out.rmv = pid, pv end
  end
  local field = cv .. ':' .. topic
  local first = redis.call('HGET', v, field)
  if not first then
    redis.call('HSET', v, field, seq .. ':' .. version .. ':' .. channel .. ':' .. id)
  else
    local fv, fch, fid = string.match(first, '^%d+:(%d+):(%d+):(.*)$')
    if fv ~= version or fid ~= id then
      out.div = {topic = topic, cv = cv, fid = fid, fv = fv, fch = fch, sid = id, sv = version, sch = channel}
    end
  end
  if next(out) == nil then return nil end
  out.seq = seq
  return cjson.encode(out)
end
`

// answerScript records the answers given by a citizen's changes and
// writes the citizen's record, which commits the changes (see Apply). The
// caller checked the changes are above the version; the script fails,
// before writing, when the record says otherwise. For each change it
// returns the change's global writes (see luaAnswer) or "". They are also
// kept in the outbox under the seq: a change skipped later finds them
// there, as the follow-up pipeline that makes them may have failed after
// the script ran.
// KEYS: c, a, v, o. ARGV: the first change's seq, the record's field
// count p, p field and value pairs, then for each change with an answer:
// seq, topic, answer id, answer version, context version, channel.
var answerScript = redis.NewScript(luaNewer + luaAnswer + `
local c, a, v, o = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local ver = redis.call('HGET', c, 'version')
if ver and not newer(ARGV[1], ver) then
  return redis.error_reply('ERR change ' .. ARGV[1] .. ' is not above version ' .. ver)
end
local p = tonumber(ARGV[2])
local fields, out = {}, {}
for j = 3, 2 + 2 * p do fields[#fields + 1] = ARGV[j] end
for i = 3 + 2 * p, #ARGV, 6 do
  local seq = ARGV[i]
  local w = answer(a, v, seq, ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5])
  if w then redis.call('HSET', o, seq, w) end
  out[#out + 1] = w or ''
end
redis.call('HSET', c, unpack(fields))
return out
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

// metaScript records the applied position if the epoch is the caller's
// and the layout this package's. KEYS: meta. ARGV: epoch, applied seq,
// layout. It returns 0 on a wrong epoch or layout.
var metaScript = redis.NewScript(luaNewer + `
local m = redis.call('HMGET', KEYS[1], 'epoch', 'layout')
if m[1] ~= ARGV[1] or m[2] ~= ARGV[3] then return 0 end
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

// holdersScript pages through an answer's holders. Members are
// "version:citizen" with the version on 10 digits, so each version is a
// contiguous lexical range ordered by citizen: for each version below the
// bound, found by jumping to the next range, it returns up to limit
// members after the citizen. The caller merges the ranges.
// KEYS: holders. ARGV: below version (0: any), after citizen, limit.
var holdersScript = redis.NewScript(`
local key, below, after, limit = KEYS[1], tonumber(ARGV[1]), ARGV[2], ARGV[3]
local out = {}
local m = redis.call('ZRANGEBYLEX', key, '-', '+', 'LIMIT', 0, 1)[1]
while m do
  local ver = string.sub(m, 1, 10)
  if below > 0 and tonumber(ver) >= below then break end
  local page = redis.call('ZRANGEBYLEX', key, '(' .. ver .. ':' .. after, '(' .. ver .. ';', 'LIMIT', 0, limit)
  for _, x in ipairs(page) do out[#out + 1] = x end
  m = redis.call('ZRANGEBYLEX', key, '[' .. ver .. ';', '+', 'LIMIT', 0, 1)[1]
end
return out
`)
