package redisstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"

	"unisson.dev/services/context/internal/contextstore"
)

// A timeline is a list in seq order, oldest first; each element is the
// 8-byte big-endian seq followed by the interaction's wire form. A list
// packs its elements into listpacks of up to 8 KB with a few bytes of
// overhead each, where a sorted set spends about 250 bytes per member on
// its skiplist and dict, and a stream more (its listpacks keep the 4 KB
// they preallocate): see BenchmarkMemory. Only the first n elements, n
// in the citizen record, are committed: Apply appends entries, then
// writes the record, and drops what a round trip cut short appended
// before appending again. A change's entry is newer than the citizen's
// version, and every committed entry is at most the version (a merge
// copies only entries older than itself), so appending keeps the order;
// a merge rebuilds the list (timelineMergeScript). Reads from the newest
// end take list positions; reads by seq find their position by binary
// search (timelineRangeScript).

// luaTimeline compares the 8-byte big-endian seqs that start timeline
// elements bytewise (Lua's string order follows the server's locale) and
// merges entries into a timeline.
const luaTimeline = `
local function below(a, b)
  for i = 1, 8 do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return false
end
local function seq_of(e) return string.sub(e, 1, 8) end
-- push appends elements, a thousand at a time (unpack has a limit).
local function push(t, elements)
  for i = 1, #elements, 1000 do
    redis.call('RPUSH', t, unpack(elements, i, math.min(i + 999, #elements)))
  end
end
-- merge_into adds elements (in seq order) to the timeline, keeping the
-- elements of seqs it holds already: appended after its last element,
-- otherwise the timeline is rebuilt. It returns how many it added.
local function merge_into(t, elements)
  local last = redis.call('LINDEX', t, -1)
  if not last or below(seq_of(last), seq_of(elements[1])) then
    push(t, elements)
    return #elements
  end
  local old = redis.call('LRANGE', t, 0, -1)
  local all, i, j = {}, 1, 1
  while i <= #old or j <= #elements do
    if j > #elements or (i <= #old and below(seq_of(old[i]), seq_of(elements[j]))) then
      all[#all + 1], i = old[i], i + 1
    elseif i > #old or below(seq_of(elements[j]), seq_of(old[i])) then
      all[#all + 1], j = elements[j], j + 1
    else
      all[#all + 1], i, j = old[i], i + 1, j + 1
    end
  end
  if #all == #old then return 0 end
  redis.call('DEL', t)
  push(t, all)
  return #all - #old
end
`

// timelineRangeScript reads up to limit committed entries after a seq
// (after "1") or before it, in list order; without a seq, from the oldest
// (after) or the newest (before). KEYS: c, t. ARGV: 8-byte seq or "",
// limit, after.
var timelineRangeScript = redis.NewScript(luaTimeline + `
local c, t = KEYS[1], KEYS[2]
local bound, limit, after = ARGV[1], tonumber(ARGV[2]), ARGV[3] == '1'
local n = tonumber(redis.call('HGET', c, 'n') or '0')
if n == 0 then return {} end
-- near tells whether element i is on the near side of the bound: below
-- it, or at it when reading after it.
local function near(i)
  local s = seq_of(redis.call('LINDEX', t, i))
  return below(s, bound) or (after and s == bound)
end
-- lo ends at the first element past the bound. The newest element is
-- tried first: readers catching up mostly find nothing newer.
local lo = after and 0 or n
if bound ~= '' and near(n - 1) then
  lo = n
elseif bound ~= '' then
  local hi
  lo, hi = 0, n - 1
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if near(mid) then lo = mid + 1 else hi = mid end
  end
end
if after then return redis.call('LRANGE', t, lo, math.min(lo + limit, n) - 1) end
if lo == 0 then return {} end
return redis.call('LRANGE', t, math.max(0, lo - limit), lo - 1)
`)

// timelineMergeScript adds a merged citizen's entries to the target's
// timeline and commits them: the timeline is first cut back to its
// committed length. Adding the same entries twice changes nothing. KEYS:
// target c, t. ARGV: elements in seq order. It returns how many entries
// it added.
var timelineMergeScript = redis.NewScript(luaTimeline + `
local c, t = KEYS[1], KEYS[2]
local rec = redis.call('HMGET', c, 'version', 'n')
if not rec[1] then return redis.error_reply('ERR merge target has no record') end
local n = tonumber(rec[2])
if n == 0 then redis.call('DEL', t) else redis.call('LTRIM', t, 0, n - 1) end
local added = merge_into(t, ARGV)
if added > 0 then redis.call('HSET', c, 'n', n + added) end
return added
`)

// Timeline returns up to limit entries older than beforeSeq, newest first.
func (s *Store) Timeline(ctx context.Context, citizenID string, beforeSeq uint64, limit int) ([]contextstore.Entry, error) {
	entries, err := s.timelineRange(ctx, citizenID, beforeSeq, limit, false)
	if err != nil {
		return nil, fmt.Errorf("timeline %s: %w", citizenID, err)
	}
	slices.Reverse(entries)
	return entries, nil
}

// After returns up to limit entries newer than afterSeq, oldest first.
func (s *Store) After(ctx context.Context, citizenID string, afterSeq uint64, limit int) ([]contextstore.Entry, error) {
	entries, err := s.timelineRange(ctx, citizenID, afterSeq, limit, true)
	if err != nil {
		return nil, fmt.Errorf("after %s: %w", citizenID, err)
	}
	return entries, nil
}

// timelineRange runs timelineRangeScript; seq 0 is no bound.
func (s *Store) timelineRange(ctx context.Context, citizenID string, seq uint64, limit int, after bool) ([]contextstore.Entry, error) {
	if limit <= 0 {
		return nil, nil
	}
	bound, dir := "", "0"
	if seq > 0 {
		bound = seqBytes(seq)
	}
	if after {
		dir = "1"
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	k := s.citizenKeys(citizenID)
	elements, err := timelineRangeScript.Run(ctx, s.client, []string{k.c(), k.t()}, bound, limit, dir).StringSlice()
	if err != nil {
		return nil, err
	}
	return decodeEntries(elements)
}

// copyTimeline adds to the target's timeline, a page at a time, the
// entries of the source's committed timeline (its first n) older than the
// merge at seq: those it held at the merge, since a batch sent again may
// find entries the source was given after it. Copying twice adds nothing.
// The target's version is at least seq, so its timeline keeps every
// entry at or below its version, and new ones are simply appended.
func (s *Store) copyTimeline(ctx context.Context, src string, n int64, seq uint64, dst citizenKeys) error {
	const page = 500
	for start := int64(0); start < n; start += page {
		elements, err := s.timelinePage(ctx, src, start, min(start+page, n)-1)
		if err != nil {
			return err
		}
		args := make([]any, 0, len(elements))
		for _, e := range elements {
			if len(e) < 8 || binary.BigEndian.Uint64([]byte(e[:8])) >= seq {
				break
			}
			args = append(args, e)
		}
		if len(args) > 0 {
			cctx, cancel := s.call(ctx)
			err = timelineMergeScript.Run(cctx, s.client, []string{dst.c(), dst.t()}, args...).Err()
			cancel()
			if err != nil {
				return fmt.Errorf("copy timeline: %w", err)
			}
		}
		if len(args) < len(elements) {
			return nil
		}
	}
	return nil
}

func (s *Store) timelinePage(ctx context.Context, key string, start, stop int64) ([]string, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	elements, err := s.client.LRange(ctx, key, start, stop).Result()
	if err != nil {
		return nil, fmt.Errorf("read timeline: %w", err)
	}
	return elements, nil
}

// seqBytes is seq as timeline elements start with it.
func seqBytes(seq uint64) string {
	return string(binary.BigEndian.AppendUint64(nil, seq))
}

// encodeEntry is the timeline element of e.
func encodeEntry(e contextstore.Entry) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(e.Data)), e.Seq)
	return append(b, e.Data...)
}

// decodeEntry reads a timeline element. Data shares the element's memory
// rather than copying it: an Entry's Data is never modified (see
// contextstore.Entry), and the element is referenced nowhere else.
func decodeEntry(element string) (contextstore.Entry, error) {
	if len(element) < 8 {
		return contextstore.Entry{}, fmt.Errorf("timeline entry: %w", errCorrupt)
	}
	b := bytesOf(element)
	return contextstore.Entry{Seq: binary.BigEndian.Uint64(b), Data: b[8:len(b):len(b)]}, nil
}

func decodeEntries(elements []string) ([]contextstore.Entry, error) {
	out := make([]contextstore.Entry, len(elements))
	for i, m := range elements {
		e, err := decodeEntry(m)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}
