package contextapp

import (
	"hash/maphash"
	"sync"
)

// ownerCache remembers which citizen an identifier designates, so that
// most GetContext calls by identifier skip the store round trip to the
// identifier index and, keyed by the identifier as a client wrote it, its
// normalisation too (a phone number costs microseconds of parsing).
//
// It may be stale, and that is safe for GetContext: an identifier changes
// owner only when its citizen is merged into another (identity.Resolve
// moves a link only with a merge), and a merged citizen's record names the
// citizen it went to, which Context follows. Identifiers not linked yet
// are never cached, so a new link is seen at once. A cached citizen the
// store no longer knows (a rebuild under way) is forgotten and looked up
// again.
//
// The cache is bounded: each shard, once full, evicts an arbitrary entry.
type ownerCache struct {
	seed   maphash.Seed
	shards [ownerShards]ownerShard
	max    int
}

const ownerShards = 16

type ownerShard struct {
	mu sync.Mutex
	m  map[string]string
}

func newOwnerCache(size int) *ownerCache {
	c := &ownerCache{seed: maphash.MakeSeed(), max: max(1, size/ownerShards)}
	for i := range c.shards {
		c.shards[i].m = make(map[string]string)
	}
	return c
}

func (c *ownerCache) shard(key string) *ownerShard {
	return &c.shards[maphash.String(c.seed, key)%ownerShards]
}

func (c *ownerCache) get(key string) (string, bool) {
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.m[key]
	return id, ok
}

func (c *ownerCache) put(key, citizenID string) {
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[key]; !ok && len(s.m) >= c.max {
		for k := range s.m {
			delete(s.m, k)
			break
		}
	}
	s.m[key] = citizenID
}

func (c *ownerCache) forget(key string) {
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
}

// ownerCacheKey is the identifier as the client wrote it; the NUL cannot
// appear in a valid identifier.
func ownerCacheKey(typ int32, value string) string {
	return string(rune('A'+typ)) + "\x00" + value
}
