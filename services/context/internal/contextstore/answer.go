package contextstore

import (
	"strconv"

	"unisson.dev/platform/interaction"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

// LedgerEntry is the ledger entry an interaction adds to its citizen.
type LedgerEntry struct {
	// Hash is the entry's hash, chained to the previous head's.
	Hash string
}

// LedgerHead is a citizen's last ledger entry.
type LedgerHead struct {
	Hash string
	// Seq is the log position of the entry.
	Seq uint64
}

// AnswerRecord is an official answer given to a citizen.
type AnswerRecord struct {
	Topic    string
	AnswerID string
	Version  uint32
	// ContextVersion is the citizen's context version the answer was
	// computed from.
	ContextVersion uint64
	Channel        interactionv1.Channel
}

// Label is how divergences name an answer: "answer_id@version on channel",
// the channel by its lower-case name.
func (a AnswerRecord) Label() string {
	return a.AnswerID + "@" + strconv.FormatUint(uint64(a.Version), 10) + " on " + interaction.ChannelName(a.Channel)
}

// Divergence is a citizen given two different answers (id or version) on
// the same topic from the same context version, on whatever channels. Each
// answer that differs from the first one recorded for the topic and
// context version is one divergence, at its own log position.
type Divergence struct {
	// Seq is the log position of the second answer.
	Seq            uint64
	CitizenID      string
	Topic          string
	ContextVersion uint64
	// First and Second are AnswerRecord labels.
	First, Second string
}

// AnswerHolder is a citizen whose last answer on a topic is a given answer.
type AnswerHolder struct {
	CitizenID string
	Version   uint32
}
