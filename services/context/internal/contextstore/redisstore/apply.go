package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"unisson.dev/services/context/internal/contextstore"
)

// errNoScript means Redis lacks a script: it restarted, failed over or
// never saw them; Apply loads them and sends the batch again.
var errNoScript = errors.New("script not cached")

// Apply sends the batch in one pipelined round trip: one script per change,
// the identifier index updates, the citizen list and, last, the epoch check
// that records AppliedSeq. A batch with answers takes one more round trip
// for the answer indexes, which then carries the epoch check. A change
// with MergeFrom closes the pipeline and takes a few more round trips. On a
// wrong epoch the changes are written but AppliedSeq is not: the caller
// must Reset, which deletes them.
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

// applyBatch pipelines the changes up to each merge, runs the merge, and
// ends with the epoch check.
func (s *Store) applyBatch(ctx context.Context, b contextstore.Batch) error {
	start := 0
	for i, c := range b.Changes {
		if len(c.MergeFrom) == 0 {
			continue
		}
		if err := s.send(ctx, b.Changes[start:i+1], nil); err != nil {
			return err
		}
		if err := s.merge(ctx, c.CitizenID, c.MergeFrom); err != nil {
			return err
		}
		start = i + 1
	}
	return s.send(ctx, b.Changes[start:], &b)
}

// send writes changes in one round trip, then checks b's epoch and records
// its AppliedSeq when b is not nil. Changes with answers return global
// writes, made by a follow-up round trip; the epoch check then goes last,
// in the follow-up, so that a failure there leaves AppliedSeq behind and
// the batch is sent again: its changes are skipped, and their scripts
// return the writes again from the outbox.
func (s *Store) send(ctx context.Context, changes []contextstore.Change, b *contextstore.Batch) error {
	if b == nil || !hasAnswers(changes) {
		writes, err := s.sendChanges(ctx, changes, b)
		if err != nil || len(writes) == 0 {
			return err
		}
		return s.sendWrites(ctx, writes, nil)
	}
	writes, err := s.sendChanges(ctx, changes, nil)
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

// sendChanges is the main round trip: the outbox entries known done, the
// changes, the citizen list and, when b is set, the epoch check. It
// returns the global writes the scripts asked for, in change order.
func (s *Store) sendChanges(ctx context.Context, changes []contextstore.Change, b *contextstore.Batch) ([]globalWrites, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	done := s.queueDone(ctx, pipe)
	scripts := make([]*redis.Cmd, len(changes))
	ids := make([]redis.Z, 0, len(changes))
	seen := make(map[string]bool, len(changes))
	for i, c := range changes {
		cmd, err := s.queueChange(ctx, pipe, c)
		if err != nil {
			return nil, err
		}
		scripts[i] = cmd
		if !seen[c.CitizenID] {
			seen[c.CitizenID] = true
			ids = append(ids, redis.Z{Member: c.CitizenID})
		}
	}
	if len(ids) > 0 {
		pipe.ZAdd(ctx, s.citizensKey(), ids...)
	}
	var meta *redis.Cmd
	if b != nil {
		meta = metaScript.EvalSha(ctx, pipe, []string{s.metaKey()}, b.Epoch, strconv.FormatUint(b.AppliedSeq, 10))
	}
	if err := exec(ctx, pipe); err != nil {
		return nil, err
	}
	s.forgetDone(done)
	if meta != nil && meta.Val() != int64(1) {
		return nil, contextstore.ErrEpochMismatch
	}
	return decodeWrites(changes, scripts)
}

// queueChange queues the change's citizen script and its index updates.
// The index updates of a change the script skips are sent again: their
// keys are in other slots, out of the script's reach. They change nothing
// when the change is the one applied before.
func (s *Store) queueChange(ctx context.Context, pipe redis.Pipeliner, c contextstore.Change) (*redis.Cmd, error) {
	args, err := changeArgs(c)
	if err != nil {
		return nil, fmt.Errorf("change %d: %w", c.Seq, err)
	}
	k := s.citizenKeys(c.CitizenID)
	cmd := changeScript.EvalSha(ctx, pipe, []string{k.c, k.l, k.k, k.t, k.a, k.v, k.o}, args...)
	for _, l := range c.Links {
		indexScript.EvalSha(ctx, pipe, []string{s.indexKey(l.Key)},
			c.CitizenID, strconv.Itoa(int(l.Assurance)), "")
	}
	return cmd, nil
}

// changeArgs are changeScript's ARGV.
func changeArgs(c contextstore.Change) ([]any, error) {
	const fixed = 15
	args := make([]any, fixed, fixed+2*len(c.Links))
	for i := range args {
		args[i] = ""
	}
	args[0] = strconv.FormatUint(c.Seq, 10)
	args[1] = encodeTime(c.OccurredAt)
	if e, ok, err := c.Entry(); err != nil {
		return nil, err
	} else if ok {
		args[2] = encodeEntry(e)
	}
	if c.Case != nil {
		opened, rest, err := encodeCase(c.Case, c.Seq)
		if err != nil {
			return nil, err
		}
		args[3], args[4], args[5], args[6] = "1", c.Case.Reference, opened, rest
	}
	if c.Ledger != nil {
		args[7], args[8] = "1", c.Ledger.Hash
	}
	if a := c.Answer; a != nil {
		args[9], args[10], args[11] = "1", a.Topic, a.AnswerID
		args[12] = strconv.FormatUint(uint64(a.Version), 10)
		args[13] = strconv.FormatUint(a.ContextVersion, 10)
		args[14] = strconv.Itoa(int(a.Channel))
	}
	for _, l := range c.Links {
		args = append(args, l.Key, encodeLink(l, c.Seq))
	}
	return args, nil
}

// loadScripts loads every script; on a cluster, on every shard.
func (s *Store) loadScripts(ctx context.Context) error {
	for _, sc := range []*redis.Script{changeScript, indexScript, metaScript, mergeScript} {
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
	for _, cmd := range cmds {
		if redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
			return errNoScript
		}
	}
	return err
}
