// Package ledger chains the answers given to a citizen into a tamper-evident
// ledger: each `answer given` interaction carries the hash of the citizen's
// previous entry and its own hash over that and its content. The context
// service fills both in when it applies the entry, in log order, so a
// replay of the log rebuilds the same chain.
package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"google.golang.org/protobuf/proto"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"

	"unisson.dev/services/context/internal/contextstore"
)

// Genesis is the previous hash of a citizen's first entry.
const Genesis = ""

// IsEntry reports whether ix is a ledger entry.
func IsEntry(ix *interactionv1.Interaction) bool {
	return ix.GetKind() == interactionv1.Kind_KIND_ANSWER_GIVEN && ix.GetAnswer() != nil
}

// Hash returns the hash of entry ix chained after prev. It covers the whole
// interaction (when, where, who, for whom, what was said, from which facts)
// with previous_entry_hash set to prev and entry_hash left out.
func Hash(prev string, ix *interactionv1.Interaction) (string, error) {
	c := proto.Clone(ix).(*interactionv1.Interaction)
	c.Answer.PreviousEntryHash = prev
	c.Answer.EntryHash = ""
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode ledger entry: %w", err)
	}
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{0})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Chain fills in ix's previous and own hash after prev and returns the new
// head of the chain.
func Chain(prev string, ix *interactionv1.Interaction) (string, error) {
	h, err := Hash(prev, ix)
	if err != nil {
		return "", err
	}
	ix.Answer.PreviousEntryHash, ix.Answer.EntryHash = prev, h
	return h, nil
}

// Verification is the outcome of checking a chain.
type Verification struct {
	Valid   bool
	Entries int64
	// Head is the hash of the last entry.
	Head string
	// BrokenID and BrokenSeq locate the first entry that does not check.
	BrokenID  string
	BrokenSeq uint64
	Reason    string
}

// Verifier checks a chain entry by entry, oldest first.
type Verifier struct {
	v    Verification
	done bool
}

// NewVerifier starts a verification at the genesis.
func NewVerifier() *Verifier { return &Verifier{v: Verification{Valid: true}} }

// Add checks the next timeline entry; entries that are not ledger entries
// are ignored. It returns false once a link is broken.
func (vr *Verifier) Add(e contextstore.Entry) bool {
	if vr.done {
		return false
	}
	ix, err := e.Interaction()
	if err != nil {
		return vr.fail(e, "", err.Error())
	}
	if !IsEntry(ix) {
		return true
	}
	a := ix.GetAnswer()
	if a.GetPreviousEntryHash() != vr.v.Head {
		return vr.fail(e, ix.GetId(), "previous_entry_hash does not match the preceding entry")
	}
	h, err := Hash(vr.v.Head, ix)
	if err != nil {
		return vr.fail(e, ix.GetId(), err.Error())
	}
	if h != a.GetEntryHash() {
		return vr.fail(e, ix.GetId(), "entry_hash does not match the entry's content")
	}
	vr.v.Head = h
	vr.v.Entries++
	return true
}

func (vr *Verifier) fail(e contextstore.Entry, id, reason string) bool {
	vr.v.Valid, vr.v.BrokenID, vr.v.BrokenSeq, vr.v.Reason = false, id, e.Seq, reason
	vr.done = true
	return false
}

// Finish compares the verified chain with the head the store recorded, so
// that a deleted last entry is noticed too.
func (vr *Verifier) Finish(recorded contextstore.LedgerHead) Verification {
	if vr.v.Valid && recorded.Hash != vr.v.Head {
		vr.v.Valid, vr.v.Reason = false, "the recorded ledger head is not the last entry's hash: an entry is missing"
		vr.v.BrokenSeq = recorded.Seq
	}
	return vr.v
}
