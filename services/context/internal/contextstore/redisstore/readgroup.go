package redisstore

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Concurrent snapshot reads share pipelines, as concurrent writes share
// atomic batches in the publisher: a read sent while maxReadTrips
// pipelines are in flight waits for the next one, which carries every read
// that waited (up to maxReadGroup). Each read is five commands; grouping
// them spares a write and a read system call on both sides per request,
// which at 16 concurrent GetContext calls was most of the Redis client's
// cost. A lone read goes at once, from its caller's goroutine: grouping
// adds no wait.
const (
	maxReadTrips = 2
	maxReadGroup = 64
)

// snapshotRead is one Snapshot's commands, queued into a group.
type snapshotRead struct {
	keys   []string // record, links, cases, timeline
	recent int

	rec, links, cases *redis.MapStringStringCmd
	recentCmd         *redis.StringSliceCmd
	err               error
	done              chan struct{}
}

// readGroups queues snapshot reads and sends them in shared pipelines.
type readGroups struct {
	mu       sync.Mutex
	queue    []*snapshotRead
	inFlight int
}

// read sends r with the reads waiting beside it and returns once r's
// commands have their replies, or ctx ends (the group still runs). When a
// round trip is free, the caller makes it itself, with what waits in the
// queue: a lone read costs no hand-over between goroutines. It may then
// outlast ctx by that round trip, which the store's timeout bounds.
func (s *Store) read(ctx context.Context, r *snapshotRead) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.done = make(chan struct{})
	g := &s.reads
	g.mu.Lock()
	g.queue = append(g.queue, r)
	lead := g.inFlight < maxReadTrips
	if lead {
		g.inFlight++
	}
	g.mu.Unlock()
	if lead {
		s.sendReads(r)
	}
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendReads sends the queued reads, a group per round trip, until none
// waits. With own set, it stops once own has its replies and passes what
// still waits on to a goroutine, keeping the round trip's place.
func (s *Store) sendReads(own *snapshotRead) {
	g := &s.reads
	for {
		g.mu.Lock()
		n := min(len(g.queue), maxReadGroup)
		if n == 0 {
			g.inFlight--
			g.mu.Unlock()
			return
		}
		if own != nil && isClosed(own.done) {
			g.mu.Unlock()
			go s.sendReads(nil)
			return
		}
		group := g.queue[:n:n]
		g.queue = g.queue[n:]
		if len(g.queue) == 0 {
			g.queue = nil // let the backing array go
		}
		g.mu.Unlock()
		s.sendGroup(group)
	}
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// sendGroup runs one pipeline for group. The round trip serves several
// callers, so it is bounded by the store's timeout rather than by one
// caller's context.
func (s *Store) sendGroup(group []*snapshotRead) {
	ctx, cancel := s.call(context.Background())
	defer cancel()
	pipe := s.client.Pipeline()
	for _, r := range group {
		r.rec = pipe.HGetAll(ctx, r.keys[0])
		r.links = pipe.HGetAll(ctx, r.keys[1])
		r.cases = pipe.HGetAll(ctx, r.keys[2])
		if r.recent > 0 {
			r.recentCmd = pipe.LRange(ctx, r.keys[3], -int64(r.recent), -1)
		}
	}
	_, err := pipe.Exec(ctx)
	for _, r := range group {
		r.err = err
		close(r.done)
	}
}
