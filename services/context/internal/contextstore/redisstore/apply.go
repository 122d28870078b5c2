package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"

	"unisson.dev/services/context/internal/contextstore"
)

// errNoScript means Redis lacks a script: it restarted, failed over or
// never saw them; Apply loads them and sends the batch again.
var errNoScript = errors.New("script not cached")

// Apply applies the batch in two pipelined round trips. The first reads
// the store's epoch and what the changes depend on: each citizen's version,
// the links and cases they touch, the identifier index (but for the owners
// the batch gives, see contextstore.Batch.Owners). Changes at or
// below their citizen's version are skipped; the rules of the links,
// cases and index are applied here. The second writes, for each citizen,
// its new timeline entries, links and cases, then its record, which
// commits them: readers take a timeline's length from the record, so
// entries appended by a round trip cut short before the record stay
// unseen, and the next append drops them. Links and cases may be seen a
// moment before their record; a change sent again writes them again, to
// the same effect. The round trip ends with the identifier index and the
// epoch check that records AppliedSeq. Changes with answers have their
// record written by a script, with the answer records; the answer indexes
// take one more round trip, which then carries the epoch check. A change
// with MergeFrom closes the pipeline and takes a few more round trips.
//
// A wrong epoch fails the batch before anything is written, unless the
// store is reset between the reads and the writes: the changes are then
// written but AppliedSeq is not, and the caller's Reset deletes them.
func (s *Store) Apply(ctx context.Context, b contextstore.Batch) error {
	err := s.applyBatch(ctx, b)
	if errors.Is(err, errNoScript) {
		// Every step is idempotent, so the batch is simply sent again.
		if err := s.loadScripts(ctx); err != nil {
			return fmt.Errorf("apply: %w", err)
		}
		err = s.applyBatch(ctx, b)
	}
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	return nil
}

// applyBatch sends the changes up to each merge, runs the merge, and ends
// with the epoch check.
func (s *Store) applyBatch(ctx context.Context, b contextstore.Batch) error {
	start, known := 0, b.Owners
	for i, c := range b.Changes {
		if len(c.MergeFrom) == 0 {
			continue
		}
		if err := s.send(ctx, b.Epoch, b.Changes[start:i+1], known, nil); err != nil {
			return err
		}
		if err := s.merge(ctx, c.CitizenID, c.MergeFrom, c.Seq); err != nil {
			return err
		}
		// The merge moved links the caller's owners do not show.
		start, known = i+1, nil
	}
	return s.send(ctx, b.Epoch, b.Changes[start:], known, &b)
}

// send applies changes, then checks b's epoch and records its AppliedSeq
// when b is not nil. known holds the index owners the caller gave, if any
// (see contextstore.Batch.Owners). Changes with answers return global writes, made by a
// follow-up round trip; the epoch check then goes last, in the follow-up,
// so that a failure there leaves AppliedSeq behind and the batch is sent
// again: its changes are skipped, and the outbox gives their writes again.
func (s *Store) send(ctx context.Context, epoch string, changes []contextstore.Change, known map[string]contextstore.Owner, b *contextstore.Batch) error {
	if b == nil || !hasAnswers(changes) {
		writes, err := s.sendChanges(ctx, epoch, changes, known, b)
		if err != nil || len(writes) == 0 {
			return err
		}
		return s.sendWrites(ctx, writes, nil)
	}
	writes, err := s.sendChanges(ctx, epoch, changes, known, nil)
	if err != nil {
		return err
	}
	return s.sendWrites(ctx, writes, b)
}

func hasAnswers(changes []contextstore.Change) bool {
	for _, c := range changes {
		if c.Answer != nil {
			return true
		}
	}
	return false
}

// sendChanges reads what the changes depend on (see readState), then
// writes in one round trip: the outbox entries known done, the new
// citizens' ids, each citizen's writes (see queueWrites), the identifier
// index and, when b is set, the epoch check. It returns the global
// writes of the changes' answers, in each citizen's change order.
func (s *Store) sendChanges(ctx context.Context, epoch string, changes []contextstore.Change, known map[string]contextstore.Owner, b *contextstore.Batch) ([]globalWrites, error) {
	groups := s.byCitizen(changes)
	owners, err := s.readState(ctx, epoch, groups, known)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	done := s.queueDone(ctx, pipe)
	// New citizens are listed before their record is written: a round trip
	// cut short must not leave a record its listing would skip later.
	var ids []redis.Z
	for _, g := range groups {
		if !g.exists {
			ids = append(ids, redis.Z{Member: g.id})
		}
	}
	if len(ids) > 0 {
		pipe.ZAdd(ctx, s.citizensKey(), ids...)
	}
	commits := make([]*redis.Cmd, len(groups))
	for i, g := range groups {
		if commits[i], err = g.queueWrites(ctx, pipe); err != nil {
			return nil, err
		}
	}
	for key, o := range indexWrites(changes, owners) {
		pipe.Set(ctx, s.indexKey(key), encodeOwner(o.CitizenID, o.Assurance), 0)
	}
	var meta *redis.Cmd
	if b != nil {
		meta = metaScript.EvalSha(ctx, pipe, []string{s.metaKey()}, b.Epoch, strconv.FormatUint(b.AppliedSeq, 10), layout)
	}
	if err := exec(ctx, pipe); err != nil {
		return nil, err
	}
	s.forgetDone(done)
	if meta != nil && meta.Val() != int64(1) {
		return nil, contextstore.ErrEpochMismatch
	}
	return decodeWrites(groups, commits)
}

// queueWrites queues the writes of g's applied changes. The timeline is
// cut back to its committed length, dropping what a round trip cut short
// appended, and the new entries appended; then the links and cases; last
// the record, whose version and timeline length commit the changes.
// Changes with answers have their record written by answerScript, with
// the answer records. It returns that script's command, nil without one.
func (g *group) queueWrites(ctx context.Context, pipe redis.Pipeliner) (*redis.Cmd, error) {
	if len(g.applied) == 0 {
		return nil, nil
	}
	elements, err := entries(g.applied)
	if err != nil {
		return nil, err
	}
	if len(elements) > 0 {
		if g.n == 0 {
			pipe.Del(ctx, g.keys.t())
		} else {
			pipe.LTrim(ctx, g.keys.t(), 0, g.n-1)
		}
		pipe.RPush(ctx, g.keys.t(), elements...)
	}
	if len(g.linkWrites) > 0 {
		pipe.HSet(ctx, g.keys.l(), g.linkWrites...)
	}
	if len(g.caseWrites) > 0 {
		pipe.HSet(ctx, g.keys.k(), g.caseWrites...)
	}
	fields := g.recordFields(int64(len(elements)))
	if !slices.ContainsFunc(g.applied, func(c *contextstore.Change) bool { return c.Answer != nil }) {
		pipe.HSet(ctx, g.keys.c(), fields...)
		return nil, nil
	}
	keys := []string{g.keys.c(), g.keys.a(), g.keys.v(), g.keys.o()}
	return answerScript.EvalSha(ctx, pipe, keys, answerArgs(g.applied, fields)...), nil
}

// entries are the timeline elements of changes.
func entries(changes []*contextstore.Change) ([]any, error) {
	var elements []any
	for _, c := range changes {
		e, ok, err := c.Entry()
		if err != nil {
			return nil, fmt.Errorf("change %d: %w", c.Seq, err)
		}
		if ok {
			elements = append(elements, encodeEntry(e))
		}
	}
	return elements, nil
}

// recordFields are g's record fields after its applied changes: the
// version and its time, the committed timeline length, the creation when
// the citizen is new, the ledger head.
func (g *group) recordFields(added int64) []any {
	last := g.applied[len(g.applied)-1]
	fields := make([]any, 0, 14)
	fields = append(fields, "version", strconv.FormatUint(last.Seq, 10), "updated_at", encodeTime(last.OccurredAt),
		"n", strconv.FormatInt(g.n+added, 10))
	if !g.exists {
		first := g.applied[0]
		fields = append(fields, "created_seq", strconv.FormatUint(first.Seq, 10), "created_at", encodeTime(first.OccurredAt))
	}
	for i := len(g.applied) - 1; i >= 0; i-- {
		if c := g.applied[i]; c.Ledger != nil {
			fields = append(fields, "ledger_head", c.Ledger.Hash, "ledger_seq", strconv.FormatUint(c.Seq, 10))
			break
		}
	}
	return fields
}

// answerArgs are answerScript's ARGV: the first change's seq, the record
// fields, then for each change with an answer: seq, topic, answer id,
// answer version, context version, channel.
func answerArgs(changes []*contextstore.Change, fields []any) []any {
	args := make([]any, 0, 2+len(fields)+6*len(changes))
	args = append(args, strconv.FormatUint(changes[0].Seq, 10), len(fields)/2)
	args = append(args, fields...)
	for _, c := range changes {
		if a := c.Answer; a != nil {
			args = append(args, strconv.FormatUint(c.Seq, 10), a.Topic, a.AnswerID,
				strconv.FormatUint(uint64(a.Version), 10), strconv.FormatUint(a.ContextVersion, 10), strconv.Itoa(int(a.Channel)))
		}
	}
	return args
}

// loadScripts loads every script; on a cluster, on every shard.
func (s *Store) loadScripts(ctx context.Context) error {
	for _, sc := range []*redis.Script{answerScript, indexScript, metaScript, mergeScript, timelineMergeScript, timelineRangeScript} {
		cctx, cancel := s.call(ctx)
		err := sc.Load(cctx, s.client).Err()
		cancel()
		if err != nil {
			return fmt.Errorf("load scripts: %w", err)
		}
	}
	return nil
}

// exec runs the pipeline and reports a lost script cache as errNoScript.
func exec(ctx context.Context, pipe redis.Pipeliner) error {
	cmds, err := pipe.Exec(ctx)
	if err == nil {
		// Exec reports the first command that failed: none did.
		return nil
	}
	for _, cmd := range cmds {
		if redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
			return errNoScript
		}
	}
	return err
}
