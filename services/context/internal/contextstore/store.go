// Package contextstore defines the projections the context service derives
// from the interaction log, and the Store port they live behind. Two
// adapters implement it: redisstore for deployments and memstore for the
// single binary; storetest is the conformance suite both must pass.
package contextstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

var (
	// ErrNotFound is returned when a citizen has no record.
	ErrNotFound = errors.New("citizen not found")
	// ErrEpochMismatch is returned by Apply when the store's epoch is not the
	// one the caller holds: the store was emptied (a Redis restart without
	// persistence, a failover to an empty replica) or rebuilt by someone else.
	ErrEpochMismatch = errors.New("store epoch changed")
)

// Owner is the citizen an identifier is linked to.
type Owner struct {
	CitizenID string
	Assurance interactionv1.Assurance
}

// Link is an identifier linked to a citizen.
type Link struct {
	// Key is identifier.Key(Type, Value).
	Key       string
	Type      interactionv1.IdentifierType
	Value     string
	Assurance interactionv1.Assurance
	// Seq is the log position at which the link was made or last upgraded.
	Seq uint64
}

// Case is a citizen's dossier as the log last described it.
type Case struct {
	Reference  string
	Topic      string
	Status     interactionv1.CaseStatus
	OpenedAt   time.Time
	UpdatedAt  time.Time
	UpdatedSeq uint64
}

// Entry is one interaction on a timeline at its log position.
//
// Data is the interaction in protobuf wire form, as the store keeps it:
// readers that only pass entries on (GetContext, WatchContext) serve the
// bytes without decoding them, and stores return them without copying.
// Nobody may modify Data once it is in an Entry.
type Entry struct {
	Seq  uint64
	Data []byte
}

// NewEntry encodes ix deterministically into an entry at seq.
func NewEntry(seq uint64, ix *interactionv1.Interaction) (Entry, error) {
	b, err := deterministic.Marshal(ix)
	if err != nil {
		return Entry{}, fmt.Errorf("encode interaction %d: %w", seq, err)
	}
	return Entry{Seq: seq, Data: b}, nil
}

// Interaction decodes the entry's interaction.
func (e Entry) Interaction() (*interactionv1.Interaction, error) {
	ix := &interactionv1.Interaction{}
	if err := proto.Unmarshal(e.Data, ix); err != nil {
		return nil, fmt.Errorf("decode interaction %d: %w", e.Seq, err)
	}
	return ix, nil
}

var deterministic = proto.MarshalOptions{Deterministic: true}

// kindField is Interaction.kind's field number.
var kindField = FieldNumber(&interactionv1.Interaction{}, "kind", protoreflect.EnumKind)

// FieldNumber is the number of m's field name, which must be of kind; it
// panics otherwise, at start-up, since callers take it for package
// variables. Code that reads or writes entries' wire form takes field
// numbers from the descriptors rather than as literals.
func FieldNumber(m proto.Message, name protoreflect.Name, kind protoreflect.Kind) protowire.Number {
	f := m.ProtoReflect().Descriptor().Fields().ByName(name)
	if f == nil || f.Kind() != kind {
		panic(fmt.Sprintf("%s has no %s field %s", m.ProtoReflect().Descriptor().FullName(), kind, name))
	}
	return f.Number()
}

// Kind reads the interaction's kind without decoding the rest;
// KIND_UNSPECIFIED when Data is not a valid encoding.
func (e Entry) Kind() interactionv1.Kind {
	b := e.Data
	kind := interactionv1.Kind_KIND_UNSPECIFIED
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return interactionv1.Kind_KIND_UNSPECIFIED
		}
		b = b[n:]
		if num == kindField && typ == protowire.VarintType {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return interactionv1.Kind_KIND_UNSPECIFIED
			}
			// The last occurrence wins, as when decoding.
			kind, b = interactionv1.Kind(v), b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return interactionv1.Kind_KIND_UNSPECIFIED
		}
		b = b[n:]
	}
	return kind
}

// Citizen is the record of one citizen.
type Citizen struct {
	ID         string
	CreatedSeq uint64
	// Version is the log position of the last interaction that changed the
	// citizen's context: the context version clients see.
	Version   uint64
	CreatedAt time.Time
	UpdatedAt time.Time
	// MergedInto is set when this record was merged into another citizen.
	MergedInto string
	// Merged lists the citizens merged into this one, in merge order.
	Merged []string
	// LedgerHead is the hash of the citizen's last ledger entry and
	// LedgerSeq its log position; both zero before the first entry. A merge
	// keeps the target's own head: the merged citizen's chain ends there.
	LedgerHead string
	LedgerSeq  uint64
}

// Snapshot is what GetContext shows of a citizen, read in one round trip.
type Snapshot struct {
	Citizen Citizen
	// Links sorted by Key.
	Links []Link
	// Cases sorted by Reference.
	Cases []Case
	// Recent interactions, newest first.
	Recent []Entry
	// InteractionCount is the length of the whole timeline.
	InteractionCount int64
}

// Change is what applying one interaction does to one citizen's projections.
//
// A citizen's changes must be applied in log order. A change whose Seq is
// not above the citizen's Version was applied already and is skipped whole
// (timeline, links, case, ledger, answer), even if its content differs
// from what was applied: so a batch sent again after a failure, rebuilt
// from a store that already holds part of it, changes nothing it had done.
// The one exception is MergeFrom, carried out even for a skipped change, so
// that a merge cut short is finished; merging is idempotent. The guard also
// keeps one timeline entry per log position. The identifier index lives
// outside the citizen: redisstore writes a skipped change's index entries
// again, which changes nothing when its Links are those applied before, as
// identity resolution makes them (it leaves out links already owned).
type Change struct {
	Seq       uint64
	CitizenID string
	// OccurredAt of the interaction, for the citizen's and cases' times.
	OccurredAt time.Time
	// Links to add; an existing link is upgraded from claimed to verified,
	// never downgraded.
	Links []Link
	// MergeFrom lists citizens merged into CitizenID by this interaction:
	// their links, cases and timeline are added to CitizenID, their index
	// entries point to CitizenID, and their records keep their own data with
	// MergedInto set, so the merge can be undone. Answer records and ledger
	// heads are not merged: CitizenID keeps its own, and a merged citizen
	// stays listed as the holder of its last answers.
	MergeFrom []string
	// Interaction is added to the timeline at Seq.
	Interaction *interactionv1.Interaction
	// Data, when set, is Interaction in wire form, stored as is; the
	// projector passes the log message's bytes on so that nothing is
	// encoded twice. When nil, stores encode Interaction (see Entry).
	Data []byte
	// Case, when set, replaces the stored case of the same reference unless
	// that one is newer (UpdatedSeq ≥ Seq); OpenedAt of an existing case is
	// kept.
	Case *Case
	// Ledger, when set, makes this change the citizen's ledger head.
	Ledger *LedgerEntry
	// Answer, when set (an "answer given" interaction), updates the answer
	// indexes: the citizen's last answer on the topic, the first answer for
	// the topic at the context version, and the divergences.
	Answer *AnswerRecord
}

// Entry is the timeline entry the change adds: Data, or Interaction
// encoded. ok is false for a change without an interaction.
func (c Change) Entry() (e Entry, ok bool, err error) {
	switch {
	case c.Data != nil:
		return Entry{Seq: c.Seq, Data: c.Data}, true, nil
	case c.Interaction != nil:
		e, err = NewEntry(c.Seq, c.Interaction)
		return e, err == nil, err
	}
	return Entry{}, false, nil
}

// Batch is a run of changes from consecutive log positions.
type Batch struct {
	// Epoch the caller read from the store; Apply fails with
	// ErrEpochMismatch when the store's differs.
	Epoch   string
	Changes []Change
	// AppliedSeq is the log position the store has applied once the batch is
	// in; it may be past the last change when messages were skipped.
	AppliedSeq uint64
	// Owners, when not nil, is the index as it stands before the batch:
	// the owner of each key the changes link, the zero Owner for a key
	// linked to nobody. The caller knows it from this store (Lookup) and
	// from the batches it applied since, being the index's only writer, as
	// the projector is. A store may then take the owners from it rather
	// than read them again; up to the batch's first merge only, since a
	// merge moves links. Keys it lacks are read.
	Owners map[string]Owner
}

// Store keeps the projections. Implementations are safe for concurrent use
// by one applier and many readers.
type Store interface {
	// Lookup returns the owners of the identifier keys that are linked;
	// unknown keys are absent from the result.
	Lookup(ctx context.Context, keys []string) (map[string]Owner, error)
	// Apply applies the batch's changes in order, each one atomically, then
	// records AppliedSeq.
	Apply(ctx context.Context, b Batch) error
	// AppliedSeq is the log position applied so far; 0 for an empty store.
	AppliedSeq(ctx context.Context) (uint64, error)
	// Epoch identifies the store's current life; "" when the store has no
	// marker, i.e. it was emptied behind the service's back.
	Epoch(ctx context.Context) (string, error)
	// Reset drops every projection and starts a new life with epoch and
	// AppliedSeq 0.
	Reset(ctx context.Context, epoch string) error
	// Snapshot returns a citizen with its links, cases and the recent
	// newest interactions; ErrNotFound when unknown. A merged citizen is
	// returned as is (MergedInto set); callers follow the merge.
	Snapshot(ctx context.Context, citizenID string, recent int) (Snapshot, error)
	// Timeline returns up to limit entries older than beforeSeq (0: from the
	// newest), newest first.
	Timeline(ctx context.Context, citizenID string, beforeSeq uint64, limit int) ([]Entry, error)
	// After returns up to limit entries newer than afterSeq, oldest first.
	After(ctx context.Context, citizenID string, afterSeq uint64, limit int) ([]Entry, error)
	// CitizenIDs calls fn with every citizen id in ascending order, including
	// merged ones.
	CitizenIDs(ctx context.Context, fn func(id string) error) error
	// LedgerHeads returns the ledger heads of citizenIDs in one round trip;
	// unknown citizens and citizens without a ledger entry are absent.
	LedgerHeads(ctx context.Context, citizenIDs []string) (map[string]LedgerHead, error)
	// Divergences returns up to limit divergences after afterSeq, ascending
	// by Seq: page with the last Seq returned.
	Divergences(ctx context.Context, afterSeq uint64, limit int) ([]Divergence, error)
	// AnswerHolders returns up to limit citizens whose last answer on a
	// topic is answerID at a version below belowVersion (0: any version),
	// ascending by citizen id after afterCitizen: page with the last id
	// returned. A merged citizen keeps its own answers and stays listed;
	// callers follow the merge.
	AnswerHolders(ctx context.Context, answerID string, belowVersion uint32, afterCitizen string, limit int) ([]AnswerHolder, error)
	// AnswerIDs returns, ascending, the answer ids that are some citizen's
	// last answer on a topic, so that answers gone from the knowledge base
	// can be found.
	AnswerIDs(ctx context.Context) ([]string, error)
	// Close releases the store's connections.
	Close() error
}
