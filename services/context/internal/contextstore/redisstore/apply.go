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
// that records AppliedSeq. A change with MergeFrom closes the pipeline and
// takes a few more round trips. On a wrong epoch the changes are written
// but AppliedSeq is not: the caller must Reset, which deletes them.
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
// its AppliedSeq when b is not nil.
func (s *Store) send(ctx context.Context, changes []contextstore.Change, b *contextstore.Batch) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	ids := make([]redis.Z, 0, len(changes))
	seen := make(map[string]bool, len(changes))
	for _, c := range changes {
		if err := s.queueChange(ctx, pipe, c); err != nil {
			return err
		}
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
		return err
	}
	if meta != nil && meta.Val() != int64(1) {
		return contextstore.ErrEpochMismatch
	}
	return nil
}

// queueChange queues the change's citizen script and its index updates.
func (s *Store) queueChange(ctx context.Context, pipe redis.Pipeliner, c contextstore.Change) error {
	args, err := changeArgs(c)
	if err != nil {
		return fmt.Errorf("change %d: %w", c.Seq, err)
	}
	k := s.citizenKeys(c.CitizenID)
	changeScript.EvalSha(ctx, pipe, []string{k.c, k.l, k.k, k.t}, args...)
	for _, l := range c.Links {
		indexScript.EvalSha(ctx, pipe, []string{s.indexKey(l.Key)},
			c.CitizenID, strconv.Itoa(int(l.Assurance)), "")
	}
	return nil
}

// changeArgs are changeScript's ARGV.
func changeArgs(c contextstore.Change) ([]any, error) {
	args := make([]any, 7, 7+2*len(c.Links))
	args[0] = strconv.FormatUint(c.Seq, 10)
	args[1] = encodeTime(c.OccurredAt)
	args[2], args[3], args[4], args[5], args[6] = "", "", "", "", ""
	if c.Interaction != nil {
		member, err := encodeEntry(c.Seq, c.Interaction)
		if err != nil {
			return nil, err
		}
		args[2] = member
	}
	if c.Case != nil {
		opened, rest, err := encodeCase(c.Case, c.Seq)
		if err != nil {
			return nil, err
		}
		args[3], args[4], args[5], args[6] = "1", c.Case.Reference, opened, rest
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
