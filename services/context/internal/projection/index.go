package projection

import (
	"sync"

	"unisson.dev/services/context/internal/contextstore"
)

// indexCache remembers the identifier index as the runs prepared so far
// leave it: the owner of each key seen lately, or that it has none. The
// projector is the index's only writer, so what it remembers stays true
// while its runs reach the store in order, and a run's lookup asks the
// store only for the keys it does not know.
//
// A merge moves links in the store, out of the projector's sight: the
// keys of the citizens it joins (the target and those merged into it)
// are forgotten, by generation, so that a merge costs no scan of the
// cache. Everything is forgotten whenever what the cache holds may no
// longer hold: at Start and Reset (another applier may have written
// meanwhile) and when a pipeline fails (its last runs may not be in the
// store).
//
// It holds at most max keys; once full, each new key evicts an arbitrary
// one. A nil cache remembers nothing.
type indexCache struct {
	mu  sync.Mutex
	max int
	m   map[string]cachedOwner
	// gen counts merges; stale holds, for each citizen a merge joined,
	// the generation that merge began: entries of that citizen from
	// before it are stale.
	gen   uint64
	stale map[string]uint64
}

// cachedOwner is a key's owner, the zero Owner when linked to nobody, and
// the generation it was learnt in.
type cachedOwner struct {
	owner contextstore.Owner
	gen   uint64
}

func newIndexCache(size int) *indexCache {
	return &indexCache{max: max(1, size), m: make(map[string]cachedOwner), stale: make(map[string]uint64)}
}

// known adds the linked owners it knows among keys to owners and returns
// the keys it does not know.
func (c *indexCache) known(keys []string, owners map[string]contextstore.Owner) (missing []string) {
	if c == nil {
		return keys
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		e, ok := c.m[k]
		switch {
		case !ok:
			missing = append(missing, k)
		case e.owner.CitizenID == "":
		case e.gen < c.stale[e.owner.CitizenID]:
			delete(c.m, k)
			missing = append(missing, k)
		default:
			owners[k] = e.owner
		}
	}
	return missing
}

// remember records the owners of keys after a run: owners holds the
// linked ones, and the others are linked to nobody.
func (c *indexCache) remember(keys []string, owners map[string]contextstore.Owner) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
			for old := range c.m {
				delete(c.m, old)
				break
			}
		}
		c.m[k] = cachedOwner{owner: owners[k], gen: c.gen}
	}
}

// merged forgets the keys of the citizens a merge joins: target and from.
func (c *indexCache) merged(target string, from []string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.stale)+1+len(from) > c.max/8 {
		// Merges are rare; this bounds their bookkeeping.
		c.reset()
		return
	}
	c.gen++
	c.stale[target] = c.gen
	for _, id := range from {
		c.stale[id] = c.gen
	}
}

// forget empties the cache.
func (c *indexCache) forget() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reset()
}

func (c *indexCache) reset() {
	clear(c.m)
	clear(c.stale)
}
