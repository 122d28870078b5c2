// Package interaction holds the rules every Interaction event obeys, shared
// by the channels that publish events and the context service that applies
// them: id generation, validation, identifier normalisation and the log
// subject of each channel.
package interaction

import (
	"crypto/rand"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

var (
	idMu      sync.Mutex
	idEntropy = ulid.Monotonic(rand.Reader, 0)
)

// NewID returns a new interaction id: a ULID, so ids sort by creation time
// and carry it.
func NewID(now time.Time) string {
	idMu.Lock()
	defer idMu.Unlock()
	return ulid.MustNew(ulid.Timestamp(now), idEntropy).String()
}

// ChannelName is the short lower-case name of a channel, used in log
// subjects and the HTTP API ("web", "phone", ...).
func ChannelName(c interactionv1.Channel) string {
	name, ok := interactionv1.Channel_name[int32(c)]
	if !ok || c == interactionv1.Channel_CHANNEL_UNSPECIFIED {
		return "unknown"
	}
	return strings.ToLower(strings.TrimPrefix(name, "CHANNEL_"))
}

// ParseChannelName is the inverse of ChannelName.
func ParseChannelName(name string) (interactionv1.Channel, bool) {
	v, ok := interactionv1.Channel_value["CHANNEL_"+strings.ToUpper(name)]
	if !ok || v == 0 || strings.ToLower(name) != name {
		return 0, false
	}
	return interactionv1.Channel(v), true
}

// KindName is the short lower-case name of a kind ("message", "form_submission").
func KindName(k interactionv1.Kind) string {
	name, ok := interactionv1.Kind_name[int32(k)]
	if !ok || k == interactionv1.Kind_KIND_UNSPECIFIED {
		return "unknown"
	}
	return strings.ToLower(strings.TrimPrefix(name, "KIND_"))
}

// ParseKindName is the inverse of KindName.
func ParseKindName(name string) (interactionv1.Kind, bool) {
	v, ok := interactionv1.Kind_value["KIND_"+strings.ToUpper(name)]
	if !ok || v == 0 || strings.ToLower(name) != name {
		return 0, false
	}
	return interactionv1.Kind(v), true
}
