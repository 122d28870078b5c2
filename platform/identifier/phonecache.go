package identifier

import (
	"hash/maphash"
	"strings"
	"sync"
)

// Bounds of the cache of normalised phone numbers: at most
// phoneCacheShards × 2 × phoneCacheGeneration entries: 32,768, a few
// megabytes (10 MB if every value were MaxLength bytes long).
const (
	phoneCacheShards     = 16
	phoneCacheGeneration = 1024
)

// phones remembers the E.164 form of the phone numbers normalised lately.
// Parsing a number with libphonenumber costs tens of microseconds of
// regular expressions, and the same number comes back all the time: as
// typed on the web, then checked again by interaction.Validate, then read
// back from the log by the context service, and with every interaction of
// the same citizen. It holds only the numbers frenchPhone leaves to
// libphonenumber.
var phones = newPhoneCache()

// phoneCache maps trimmed phone values to their E.164 form. It holds only
// values that normalised without error, so a hit returns what the parse
// would: an entry is either a value that was parsed (a memo of a pure
// function) or an E.164 output, which normalises to itself (the fixed
// point FuzzNormalizePhone and TestPhoneOutputsAreFixedPoints check).
//
// Each shard keeps two generations: new entries go to the current one, and
// when it is full it becomes the old one and the previous old one is
// dropped. A hit in the old generation moves the entry to the current one,
// so numbers in use stay while the size stays bounded without per-entry
// bookkeeping.
type phoneCache struct {
	seed   maphash.Seed
	shards [phoneCacheShards]phoneShard
}

type phoneShard struct {
	mu       sync.Mutex
	cur, old map[string]string
}

func newPhoneCache() *phoneCache {
	c := &phoneCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].cur = make(map[string]string, phoneCacheGeneration)
	}
	return c
}

func (c *phoneCache) shard(key string) *phoneShard {
	return &c.shards[maphash.String(c.seed, key)%phoneCacheShards]
}

// get returns the E.164 form of value if value was normalised lately.
func (c *phoneCache) get(value string) (string, bool) {
	s := c.shard(value)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e164, ok := s.cur[value]; ok {
		return e164, true
	}
	e164, ok := s.old[value]
	if ok {
		delete(s.old, value)
		s.putLocked(value, e164)
	}
	return e164, ok
}

// add records that value normalises to e164, and that e164 normalises to
// itself. value is copied: it may share the memory of a larger message.
func (c *phoneCache) add(value, e164 string) {
	if value != e164 {
		c.put(strings.Clone(value), e164)
	}
	c.put(e164, e164)
}

func (c *phoneCache) put(key, e164 string) {
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putLocked(key, e164)
}

func (s *phoneShard) putLocked(key, e164 string) {
	s.cur[key] = e164
	if len(s.cur) >= phoneCacheGeneration {
		s.old, s.cur = s.cur, make(map[string]string, phoneCacheGeneration)
	}
}

// size is the number of entries, for tests.
func (c *phoneCache) size() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.cur) + len(s.old)
		s.mu.Unlock()
	}
	return n
}
