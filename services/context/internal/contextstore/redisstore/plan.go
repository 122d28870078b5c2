package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"unisson.dev/services/context/internal/contextstore"
)

// group is a batch's changes of one citizen, in log order, and what the
// read round trip found of the citizen.
type group struct {
	id      string
	keys    citizenKeys
	changes []*contextstore.Change
	// applied are the changes above the citizen's version, in order.
	applied []*contextstore.Change
	// outbox holds the outbox entry of each skipped change with an answer.
	outbox map[*contextstore.Change]string
	// exists tells whether the citizen had a record; version and n are
	// its version and committed timeline length.
	exists  bool
	version uint64
	n       int64
	// links and cases hold the stored links of the keys the changes link
	// and the stored cases they update, as planning leaves them.
	links, cases map[string]string
	// linkWrites and caseWrites are the fields planning changed.
	linkWrites, caseWrites []any
}

// reads are the read round trip's commands for one group.
type reads struct {
	rec, links, cases *redis.SliceCmd
	outbox            map[*contextstore.Change]*redis.StringCmd
}

// byCitizen groups changes by citizen, in the order of their first change:
// citizens share no keys, so their writes may go in any order.
func (s *Store) byCitizen(changes []contextstore.Change) []*group {
	groups := make([]*group, 0, len(changes))
	at := make(map[string]*group, len(changes))
	for i := range changes {
		c := &changes[i]
		g, ok := at[c.CitizenID]
		if !ok {
			g = &group{id: c.CitizenID, keys: s.citizenKeys(c.CitizenID)}
			at[c.CitizenID] = g
			groups = append(groups, g)
		}
		g.changes = append(g.changes, c)
	}
	return groups
}

// readState reads in one round trip what planning the groups' writes
// needs: the store's epoch and layout, each citizen's version and
// committed timeline length, the stored links and cases its changes
// touch, the outbox entries of its changes with answers, and the owners
// of the keys the changes link, but for those known gives. It plans each
// group and returns the owners; ErrEpochMismatch when the epoch is not
// epoch or the layout not this package's, before anything is written.
func (s *Store) readState(ctx context.Context, epoch string, groups []*group, known map[string]contextstore.Owner) (map[string]contextstore.Owner, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	meta := pipe.HMGet(ctx, s.metaKey(), "epoch", "layout")
	rs := make([]reads, len(groups))
	index := make(map[string]*redis.StringCmd)
	owners := make(map[string]contextstore.Owner)
	for i, g := range groups {
		rs[i] = g.queueReads(ctx, pipe)
		for _, c := range g.changes {
			for _, l := range c.Links {
				if o, ok := known[l.Key]; ok {
					if o.CitizenID != "" {
						owners[l.Key] = o
					}
					continue
				}
				if index[l.Key] == nil {
					index[l.Key] = pipe.Get(ctx, s.indexKey(l.Key))
				}
			}
		}
	}
	_, _ = pipe.Exec(ctx) // each command carries its own error
	m, err := meta.Result()
	if err != nil {
		return nil, fmt.Errorf("read epoch: %w", err)
	}
	if m[0] != any(epoch) || m[1] != any(layout) {
		return nil, contextstore.ErrEpochMismatch
	}
	for i, g := range groups {
		if err := g.plan(rs[i]); err != nil {
			return nil, fmt.Errorf("citizen %s: %w", g.id, err)
		}
	}
	for key, cmd := range index {
		v, err := cmd.Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read index: %w", err)
		}
		if owners[key], err = decodeOwner(v); err != nil {
			return nil, fmt.Errorf("index %s: %w", key, err)
		}
	}
	return owners, nil
}

func (g *group) queueReads(ctx context.Context, pipe redis.Pipeliner) reads {
	var r reads
	r.rec = pipe.HMGet(ctx, g.keys.c(), "version", "n")
	var keys, refs []string
	for _, c := range g.changes {
		for _, l := range c.Links {
			keys = append(keys, l.Key)
		}
		if c.Case != nil {
			refs = append(refs, c.Case.Reference)
		}
		if c.Answer != nil {
			if r.outbox == nil {
				r.outbox = make(map[*contextstore.Change]*redis.StringCmd)
			}
			r.outbox[c] = pipe.HGet(ctx, g.keys.o(), strconv.FormatUint(c.Seq, 10))
		}
	}
	if len(keys) > 0 {
		r.links = pipe.HMGet(ctx, g.keys.l(), keys...)
	}
	if len(refs) > 0 {
		r.cases = pipe.HMGet(ctx, g.keys.k(), refs...)
	}
	return r
}

// plan reads g's replies, sorts its changes into applied and skipped ones
// and works out the links and cases they write.
func (g *group) plan(r reads) error {
	if err := g.decodeRecord(r.rec); err != nil {
		return err
	}
	var err error
	if g.links, err = fieldValues(r.links); err != nil {
		return err
	}
	if g.cases, err = fieldValues(r.cases); err != nil {
		return err
	}
	version, exists := g.version, g.exists
	for _, c := range g.changes {
		if !exists || c.Seq > version {
			g.applied = append(g.applied, c)
			version, exists = c.Seq, true
			if err := g.planChange(c); err != nil {
				return fmt.Errorf("change %d: %w", c.Seq, err)
			}
			continue
		}
		if cmd := r.outbox[c]; cmd != nil {
			v, err := cmd.Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				return fmt.Errorf("read outbox: %w", err)
			}
			if g.outbox == nil {
				g.outbox = make(map[*contextstore.Change]string)
			}
			g.outbox[c] = v
		}
	}
	return nil
}

func (g *group) decodeRecord(cmd *redis.SliceCmd) error {
	rec, err := cmd.Result()
	if err != nil {
		return fmt.Errorf("read record: %w", err)
	}
	version, ok := rec[0].(string)
	if !ok {
		return nil
	}
	n, _ := rec[1].(string)
	var err1, err2 error
	g.exists = true
	g.version, err1 = strconv.ParseUint(version, 10, 64)
	g.n, err2 = strconv.ParseInt(n, 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("record: %w: %w", errCorrupt, err)
	}
	return nil
}

// fieldValues reads an HMGET reply into a map of the fields present.
func fieldValues(cmd *redis.SliceCmd) (map[string]string, error) {
	if cmd == nil {
		return nil, nil
	}
	vals, err := cmd.Result()
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	out := make(map[string]string, len(vals))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[cmd.Args()[2+i].(string)] = s
		}
	}
	return out, nil
}

// planChange applies an applied change's links and case to the group's
// stored ones, as memstore and the merge scripts do: a link is added, or
// upgraded when its assurance is higher; a case replaces the stored one
// unless that one is as new, keeping its OpenedAt. A stored case newer
// than the version was written by a round trip cut short, before its
// record: it is not committed, and the change writes it again.
func (g *group) planChange(c *contextstore.Change) error {
	for _, l := range c.Links {
		if cur, ok := g.links[l.Key]; ok && linkAssurance(cur) >= int(l.Assurance) {
			continue
		}
		enc := encodeLink(l, c.Seq)
		g.links[l.Key] = enc
		g.linkWrites = append(g.linkWrites, l.Key, enc)
	}
	if c.Case == nil {
		return nil
	}
	opened, rest, err := encodeCase(c.Case, c.Seq)
	if err != nil {
		return err
	}
	if cur, ok := g.cases[c.Case.Reference]; ok {
		seq, curOpened, err := splitCase(cur)
		if err != nil {
			return err
		}
		if seq >= c.Seq && seq <= g.version {
			return nil
		}
		opened = curOpened
	}
	v := storedCase(c.Seq, opened, rest)
	g.cases[c.Case.Reference] = v
	g.caseWrites = append(g.caseWrites, c.Case.Reference, v)
	return nil
}

// indexWrites are the index entries to write for changes, in log order,
// given the owners read: each link points its key at the change's
// citizen, unless the key is already the citizen's at an assurance at
// least as high. Skipped changes write theirs again; that changes nothing
// when their links are those applied before. owners is updated.
func indexWrites(changes []contextstore.Change, owners map[string]contextstore.Owner) map[string]contextstore.Owner {
	writes := make(map[string]contextstore.Owner)
	for _, c := range changes {
		for _, l := range c.Links {
			if o, ok := owners[l.Key]; ok && o.CitizenID == c.CitizenID && o.Assurance >= l.Assurance {
				continue
			}
			o := contextstore.Owner{CitizenID: c.CitizenID, Assurance: l.Assurance}
			owners[l.Key], writes[l.Key] = o, o
		}
	}
	return writes
}
