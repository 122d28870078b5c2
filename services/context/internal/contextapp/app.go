// Package contextapp holds the read use cases of the context service:
// resolve a citizen, read their context and timeline, watch it change, and
// honour consistency tokens. It knows no transport.
package contextapp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"unisson.dev/platform/eventlog"
	"unisson.dev/platform/identifier"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/identity"
	"unisson.dev/services/context/internal/projection"
	"unisson.dev/services/context/internal/watch"
)

var (
	// ErrInvalid is wrapped by every error caused by the request itself.
	ErrInvalid = errors.New("invalid request")
	// ErrNotFound means no citizen matches.
	ErrNotFound = errors.New("no such citizen")
	// ErrNotYet means the write a consistency token stands for is not applied
	// yet; the client may retry.
	ErrNotYet = errors.New("not yet applied")
	// ErrShuttingDown ends watches when the service stops.
	ErrShuttingDown = errors.New("service shutting down")
)

// Limits of the read API.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
	maxMergeHops    = 4
)

// CitizenRef designates a citizen by id or by an identifier.
type CitizenRef struct {
	CitizenID  string
	Identifier *interactionv1.Identifier
}

// App serves reads from the store.
type App struct {
	store     contextstore.Store
	watermark *projection.Watermark
	hub       *watch.Hub
	// TokenWait bounds how long a read waits for its consistency token.
	tokenWait time.Duration
	// owners maps identifiers as clients wrote them, and keys their index
	// keys, to the citizens Context found them to designate.
	owners, keys *ownerCache
}

// Bounds of the identifiers Context remembers, about 100 bytes each: as
// written, and by index key (which Notify also fills: 262,144 keys hold
// every identifier of the benchmark's 100,000 citizens).
const (
	ownerCacheSize = 1 << 17
	keyCacheSize   = 1 << 18
)

// New returns the read use cases.
func New(store contextstore.Store, w *projection.Watermark, hub *watch.Hub, tokenWait time.Duration) *App {
	return &App{store: store, watermark: w, hub: hub, tokenWait: tokenWait, owners: newOwnerCache(ownerCacheSize), keys: newOwnerCache(keyCacheSize)}
}

// WaitToken returns once the write token stands for is applied, or
// ErrNotYet after the bounded wait.
func (a *App) WaitToken(ctx context.Context, token string) error {
	t, err := eventlog.ParseToken(token)
	if err != nil {
		return fmt.Errorf("%w: consistency_token: %v", ErrInvalid, err)
	}
	if t.Seq() <= a.watermark.Seq() {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, a.tokenWait)
	defer cancel()
	if err := a.watermark.Wait(wctx, t.Seq()); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: position %d not reached after %s", ErrNotYet, t.Seq(), a.tokenWait)
	}
	return nil
}

// Resolve returns the current id of the citizen ref designates, following
// merges.
func (a *App) Resolve(ctx context.Context, ref CitizenRef) (string, error) {
	id := ref.CitizenID
	switch {
	case id != "" && ref.Identifier != nil:
		return "", fmt.Errorf("%w: citizen: give a citizen id or an identifier, not both", ErrInvalid)
	case id == "" && ref.Identifier == nil:
		return "", fmt.Errorf("%w: citizen: a citizen id or an identifier is required", ErrInvalid)
	case ref.Identifier != nil:
		key, err := identifierKey(ref.Identifier)
		if err != nil {
			return "", err
		}
		owners, err := a.store.Lookup(ctx, []string{key})
		if err != nil {
			return "", fmt.Errorf("look up identifier: %w", err)
		}
		o, ok := owners[key]
		if !ok {
			return "", ErrNotFound
		}
		id = o.CitizenID
	}
	return id, nil
}

func identifierKey(id *interactionv1.Identifier) (string, error) {
	norm, err := identifier.Normalize(id.GetType(), id.GetValue())
	if err != nil {
		return "", fmt.Errorf("%w: citizen.identifier: %v", ErrInvalid, err)
	}
	return identifier.Key(id.GetType(), norm), nil
}

// Context returns a citizen's snapshot with its recent interactions.
func (a *App) Context(ctx context.Context, ref CitizenRef, token string, recent int) (contextstore.Snapshot, error) {
	if err := a.WaitToken(ctx, token); err != nil {
		return contextstore.Snapshot{}, err
	}
	recent, err := pageSize(recent, "timeline_limit")
	if err != nil {
		return contextstore.Snapshot{}, err
	}
	if id := ref.Identifier; id != nil && ref.CitizenID == "" {
		return a.contextByIdentifier(ctx, id, recent)
	}
	id, err := a.Resolve(ctx, ref)
	if err != nil {
		return contextstore.Snapshot{}, err
	}
	return a.snapshot(ctx, id, recent)
}

// contextByIdentifier reads the context of the citizen an identifier
// designates, from the owner it remembers when it can: first by the
// identifier as written (no normalisation), then by its index key (no
// store round trip). A remembered owner may be a citizen merged since,
// which snapshot follows, or one the store lost (a rebuild under way),
// which is forgotten and looked up again.
func (a *App) contextByIdentifier(ctx context.Context, id *interactionv1.Identifier, recent int) (contextstore.Snapshot, error) {
	written := ownerCacheKey(int32(id.GetType()), id.GetValue())
	if owner, ok := a.owners.get(written); ok {
		snap, err := a.rememberedSnapshot(ctx, a.owners, written, owner, recent)
		if !errors.Is(err, ErrNotFound) {
			return snap, err
		}
	}
	key, err := identifierKey(id)
	if err != nil {
		return contextstore.Snapshot{}, err
	}
	if owner, ok := a.keys.get(key); ok {
		snap, err := a.rememberedSnapshot(ctx, a.keys, key, owner, recent)
		if err == nil {
			a.owners.put(written, snap.Citizen.ID)
		}
		if !errors.Is(err, ErrNotFound) {
			return snap, err
		}
	}
	owners, err := a.store.Lookup(ctx, []string{key})
	if err != nil {
		return contextstore.Snapshot{}, fmt.Errorf("look up identifier: %w", err)
	}
	o, ok := owners[key]
	if !ok {
		return contextstore.Snapshot{}, ErrNotFound
	}
	snap, err := a.snapshot(ctx, o.CitizenID, recent)
	if err == nil {
		a.owners.put(written, snap.Citizen.ID)
		a.keys.put(key, snap.Citizen.ID)
	}
	return snap, err
}

// rememberedSnapshot reads the snapshot of owner, which cache remembers
// for key: it remembers the merge target instead once it has read it, and
// forgets key when the store does not know owner.
func (a *App) rememberedSnapshot(ctx context.Context, cache *ownerCache, key, owner string, recent int) (contextstore.Snapshot, error) {
	snap, err := a.snapshot(ctx, owner, recent)
	switch {
	case err == nil:
		if snap.Citizen.ID != owner {
			cache.put(key, snap.Citizen.ID)
		}
	case errors.Is(err, ErrNotFound):
		cache.forget(key)
	}
	return snap, err
}

// Notify remembers the owners of the identifiers that applied interactions
// linked, so that a first GetContext by one of them skips the store's
// index. It is a projection.Notifier.
func (a *App) Notify(applied []projection.Applied) {
	for _, ap := range applied {
		for _, l := range ap.Links {
			a.keys.put(l.Key, ap.CitizenID)
		}
	}
}

// snapshot reads citizen id, following merges.
func (a *App) snapshot(ctx context.Context, id string, recent int) (contextstore.Snapshot, error) {
	for range maxMergeHops {
		snap, err := a.store.Snapshot(ctx, id, recent)
		if errors.Is(err, contextstore.ErrNotFound) {
			return contextstore.Snapshot{}, ErrNotFound
		}
		if err != nil {
			return contextstore.Snapshot{}, fmt.Errorf("read citizen: %w", err)
		}
		if snap.Citizen.MergedInto == "" {
			return snap, nil
		}
		id = snap.Citizen.MergedInto
	}
	return contextstore.Snapshot{}, fmt.Errorf("read citizen: merge chain longer than %d", maxMergeHops)
}

func pageSize(n int, field string) (int, error) {
	switch {
	case n == 0:
		return DefaultPageSize, nil
	case n < 0 || n > MaxPageSize:
		return 0, fmt.Errorf("%w: %s: must be between 1 and %d", ErrInvalid, field, MaxPageSize)
	}
	return n, nil
}

// IdentityMatch is the stored owner of one identifier.
type IdentityMatch struct {
	Identifier *interactionv1.Identifier
	Owner      contextstore.Owner
}

// Identity is what ResolveIdentity answers.
type Identity struct {
	CitizenID string
	Verified  bool
	Matches   []IdentityMatch
	Suggested []string
}

// ResolveIdentity applies the attachment rules to identifiers without
// recording anything.
func (a *App) ResolveIdentity(ctx context.Context, ids []*interactionv1.Identifier, token string) (Identity, error) {
	if err := a.WaitToken(ctx, token); err != nil {
		return Identity{}, err
	}
	if len(ids) == 0 || len(ids) > 16 {
		return Identity{}, fmt.Errorf("%w: identifiers: give 1 to 16 identifiers", ErrInvalid)
	}
	ix := &interactionv1.Interaction{Subject: &interactionv1.Subject{}}
	for i, id := range ids {
		norm, err := identifier.Normalize(id.GetType(), id.GetValue())
		if err != nil {
			return Identity{}, fmt.Errorf("%w: identifiers[%d]: %v", ErrInvalid, i, err)
		}
		ix.Subject.Identifiers = append(ix.Subject.Identifiers,
			&interactionv1.Identifier{Type: id.GetType(), Value: norm, Assurance: id.GetAssurance()})
	}
	links := identity.Keys(ix)
	keys := make([]string, len(links))
	for i, l := range links {
		keys[i] = l.Key
	}
	owners, err := a.store.Lookup(ctx, keys)
	if err != nil {
		return Identity{}, fmt.Errorf("look up identifiers: %w", err)
	}
	d := identity.Resolve("", links, owners, "")
	out := Identity{CitizenID: d.CitizenID, Verified: d.Verified, Suggested: append(d.Suggested, d.MergeFrom...)}
	for _, l := range links {
		if o, ok := owners[l.Key]; ok {
			id := &interactionv1.Identifier{Type: l.Type, Value: l.Value, Assurance: l.Assurance}
			out.Matches = append(out.Matches, IdentityMatch{Identifier: id, Owner: o})
		}
	}
	return out, nil
}
