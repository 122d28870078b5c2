// Package watch fans applied interactions out to the watchers of each
// citizen. It never blocks the projector: a watcher that falls behind is
// told so and catches up from the store.
package watch

import (
	"sync"

	"unisson.dev/services/context/internal/projection"
)

// Buffer is how many changes a watcher may have pending before it must
// catch up from the store.
const Buffer = 64

// Subscription receives the changes of one citizen.
type Subscription struct {
	// C delivers changes in log order.
	C <-chan projection.Applied
	// Lagged is closed when changes were dropped because C was full.
	Lagged <-chan struct{}
	// Closed is closed when the hub shuts down.
	Closed <-chan struct{}

	hub       *Hub
	citizenID string
	c         chan projection.Applied
	lagged    chan struct{}
	laggedSet bool
}

// Hub routes changes to subscriptions.
type Hub struct {
	mu     sync.Mutex
	subs   map[string]map[*Subscription]struct{}
	closed chan struct{}
	count  int
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{subs: map[string]map[*Subscription]struct{}{}, closed: make(chan struct{})}
}

// Subscribe starts delivering the changes of citizenID.
func (h *Hub) Subscribe(citizenID string) *Subscription {
	c := make(chan projection.Applied, Buffer)
	lagged := make(chan struct{})
	s := &Subscription{C: c, Lagged: lagged, Closed: h.closed, hub: h, citizenID: citizenID, c: c, lagged: lagged}
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.subs[citizenID]
	if set == nil {
		set = map[*Subscription]struct{}{}
		h.subs[citizenID] = set
	}
	set[s] = struct{}{}
	h.count++
	return s
}

// Close stops the subscription.
func (s *Subscription) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if set, ok := h.subs[s.citizenID]; ok {
		if _, ok := set[s]; ok {
			delete(set, s)
			h.count--
		}
		if len(set) == 0 {
			delete(h.subs, s.citizenID)
		}
	}
}

// Notify delivers applied changes to the watchers of their citizens, and
// of the citizens merged into them.
func (h *Hub) Notify(applied []projection.Applied) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, a := range applied {
		h.deliver(a.CitizenID, a)
		for _, m := range a.Merged {
			h.deliver(m, a)
		}
	}
}

func (h *Hub) deliver(citizenID string, a projection.Applied) {
	for s := range h.subs[citizenID] {
		select {
		case s.c <- a:
		default:
			if !s.laggedSet {
				s.laggedSet = true
				close(s.lagged)
			}
		}
	}
}

// Watchers is the number of open subscriptions.
func (h *Hub) Watchers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count
}

// Shutdown ends every subscription's stream.
func (h *Hub) Shutdown() {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.closed:
	default:
		close(h.closed)
	}
}

// ResetLag re-arms the lag signal. Call it before catching up from the
// store, so that a change dropped during the catch-up signals again.
func (s *Subscription) ResetLag() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.laggedSet {
		s.laggedSet = false
		s.lagged = make(chan struct{})
		s.Lagged = s.lagged
	}
}
