package knowledge

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strconv"
	"time"
)

// Answer is one official answer. An Answer belongs to a Base and must not
// be modified: its content hash is what channels prove agreement with.
type Answer struct {
	ID       string // lower-case slug, unique in the base
	Topic    string // dotted lower-case, e.g. "housing.benefit"
	Version  uint32 // positive; one version of an id per base
	Title    string
	Priority int // higher is tried first within a topic
	// ValidFrom (inclusive) and ValidUntil (exclusive) bound when the answer
	// applies, at midnight Europe/Paris; zero means unbounded.
	ValidFrom, ValidUntil time.Time
	// Condition is the CEL source; empty means always true.
	Condition string
	// RequiresVerifiedIdentity marks an answer that discloses personal
	// details: it is never given to a merely claimed identity.
	RequiresVerifiedIdentity bool
	Renderings               Renderings
	LegalReferences          []string
	Keywords                 []string
	// File and Line tell where the answer is written.
	File string
	Line int

	cond *condition
	hash string
}

// Renderings are the texts of one answer for every kind of channel; all
// say the same thing, only the form differs.
type Renderings struct {
	Short   string  // mobile and SMS, at most MaxShortRunes
	Web     Message // body may hold HTML
	Email   Message // plain text
	Voice   string  // phone script
	Counter string  // counter agent script
}

// Message is a text with a subject.
type Message struct {
	Subject string
	Body    string
}

// MaxShortRunes bounds the short rendering, so that it fits a few SMS.
const MaxShortRunes = 480

// ValidAt reports whether the answer applies at t.
func (a *Answer) ValidAt(t time.Time) bool {
	if !a.ValidFrom.IsZero() && t.Before(a.ValidFrom) {
		return false
	}
	return a.ValidUntil.IsZero() || t.Before(a.ValidUntil)
}

// overlaps reports whether the validity periods of a and b meet.
func (a *Answer) overlaps(b *Answer) bool {
	startsBeforeEnd := func(x, y *Answer) bool {
		return x.ValidFrom.IsZero() || y.ValidUntil.IsZero() || x.ValidFrom.Before(y.ValidUntil)
	}
	return startsBeforeEnd(a, b) && startsBeforeEnd(b, a)
}

// ContentHash is the hex SHA-256 of what the answer says: id, version,
// topic, every rendering in a fixed order and the legal references. It is
// the same for every channel, so two ledger entries with the same hash
// prove that two channels gave the same answer.
func (a *Answer) ContentHash() string {
	if a.hash != "" {
		return a.hash
	}
	return a.computeHash()
}

// computeHash encodes every field with its length first, so that no two
// different answers share an encoding.
func (a *Answer) computeHash() string {
	h := sha256.New()
	fields := []string{
		"unisson.answer.content.v1", a.ID, strconv.FormatUint(uint64(a.Version), 10), a.Topic,
		a.Renderings.Short, a.Renderings.Web.Subject, a.Renderings.Web.Body,
		a.Renderings.Email.Subject, a.Renderings.Email.Body, a.Renderings.Voice, a.Renderings.Counter,
		strconv.Itoa(len(a.LegalReferences)),
	}
	for _, f := range append(fields, a.LegalReferences...) {
		writeField(h, []byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeField writes b prefixed by its length.
func writeField(h hash.Hash, b []byte) {
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(b)))])
	h.Write(b)
}
