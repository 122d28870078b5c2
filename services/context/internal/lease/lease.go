// Package lease makes sure one context service at a time applies the log to
// a store: identity resolution depends on the order of the log, so two
// appliers would decide differently. The lease is a key in a JetStream
// key-value bucket whose entries expire; the holder refreshes it, and when
// the holder dies another service takes over after the expiry.
package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Bucket holds the leases.
const Bucket = "UNISSON_LEASES"

// TTL is how long a lease outlives its last refresh.
const TTL = 15 * time.Second

// ErrHeld is returned by TryAcquire when another service holds the lease.
var ErrHeld = errors.New("another context service is applying the log to this store")

// Lease is one named lease and its would-be holder.
type Lease struct {
	kv       jetstream.KeyValue
	key      string
	owner    string
	revision uint64
	// term is the revision that created the lease this holder has.
	term uint64
	log  *slog.Logger
	// tenure is what Held answers: nil while the lease is not known held.
	tenure atomic.Pointer[tenure]
}

// tenure is one unbroken holding of the lease: term is the revision that
// created it, and each refresh that follows from it keeps the term.
type tenure struct {
	term  uint64
	until time.Time
}

// heldFor is how long after a write began the holder counts on the lease:
// well under TTL, which the server counts from when it stored the write,
// so later than the holder's clock started.
const heldFor = TTL * 2 / 3

// Open binds the bucket and names a lease; nothing is acquired yet.
func Open(ctx context.Context, js jetstream.JetStream, replicas int, name string, log *slog.Logger) (*Lease, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: Bucket, Description: "who applies the log to which store", TTL: TTL,
		Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("lease bucket: %w", err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &Lease{kv: kv, key: keyOf(name), owner: hex.EncodeToString(b), log: log}, nil
}

// keyOf turns a lease name into a valid key.
func keyOf(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, name)
}

// TryAcquire takes the lease if nobody holds it; when this holder already
// has it, it refreshes it.
func (l *Lease) TryAcquire(ctx context.Context) error {
	if l.revision != 0 {
		if err := l.Refresh(ctx); err == nil {
			return nil
		}
		// Lost to another holder, deleted, or the refresh failed: the
		// revision is stale, so the lease is taken anew, if it is free.
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	began := time.Now()
	rev, err := l.kv.Create(ctx, l.key, []byte(l.owner))
	if errors.Is(err, jetstream.ErrKeyExists) {
		return ErrHeld
	}
	if err != nil {
		return fmt.Errorf("acquire lease: %w", err)
	}
	l.revision, l.term = rev, rev
	l.tenure.Store(&tenure{term: rev, until: began.Add(heldFor)})
	return nil
}

// Acquire waits until the lease is free and takes it, or ctx ends.
func (l *Lease) Acquire(ctx context.Context) error {
	logged := false
	for {
		err := l.TryAcquire(ctx)
		if err == nil {
			if logged {
				l.log.Info("lease acquired: applying the log")
			}
			return nil
		}
		if !errors.Is(err, ErrHeld) && ctx.Err() == nil {
			l.log.Warn("lease attempt failed", "err", err)
		}
		if errors.Is(err, ErrHeld) && !logged {
			l.log.Warn("another context service applies the log to this store; standing by")
			logged = true
		}
		select {
		case <-time.After(TTL / 5):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Refresh extends the lease; an error means it was lost.
func (l *Lease) Refresh(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	began := time.Now()
	rev, err := l.kv.Update(ctx, l.key, []byte(l.owner), l.revision)
	if err != nil {
		l.tenure.Store(nil)
		return fmt.Errorf("refresh lease: %w", err)
	}
	l.revision = rev
	// An update of the revision this holder wrote last proves that nobody
	// held the lease in between: the tenure goes on, under the same term.
	l.tenure.Store(&tenure{term: l.term, until: began.Add(heldFor)})
	return nil
}

// Held reports whether this holder can count on holding the lease now, and
// the term of its tenure: a new term begins whenever the lease is taken
// anew, so another holder may have applied in between. It is false from a
// failed refresh on, and once heldFor has passed since the last write
// began without another one succeeding (a paused process). Safe for
// concurrent use with the holder's calls.
func (l *Lease) Held() (term uint64, ok bool) {
	t := l.tenure.Load()
	if t == nil || !time.Now().Before(t.until) {
		return 0, false
	}
	return t.term, true
}

// Release gives the lease up, so a standby takes over at once.
func (l *Lease) Release(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	l.tenure.Store(nil)
	if l.revision != 0 {
		_ = l.kv.Delete(ctx, l.key, jetstream.LastRevision(l.revision))
		l.revision = 0
	}
}
