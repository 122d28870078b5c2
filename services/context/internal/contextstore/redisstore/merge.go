package redisstore

import (
	"context"
	"fmt"
	"strconv"
)

// merge merges each of froms into target at log position seq. Merges are
// rare, so each takes a few round trips; every step is idempotent, so a
// batch sent again after a failure finishes the job.
func (s *Store) merge(ctx context.Context, target string, froms []string, seq uint64) error {
	for _, from := range froms {
		if from == target {
			continue
		}
		if err := s.mergeOne(ctx, target, from, seq); err != nil {
			return fmt.Errorf("merge %s into %s: %w", from, target, err)
		}
	}
	return nil
}

func (s *Store) mergeOne(ctx context.Context, target, from string, seq uint64) error {
	src, dst := s.citizenKeys(from), s.citizenKeys(target)
	m, err := s.readMerged(ctx, src)
	if err != nil || !m.found {
		return err
	}
	if err := s.copyTimeline(ctx, src.t(), m.n, seq, dst); err != nil {
		return err
	}
	owners, err := s.copyRecords(ctx, dst, from, m.links, m.cases)
	if err != nil {
		return err
	}
	return s.repoint(ctx, target, from, src.c(), owners)
}

// merged is a merged citizen as stored: its links and cases, and its
// committed timeline length.
type merged struct {
	found        bool
	links, cases map[string]string
	n            int64
}

// readMerged reads the merged citizen's links, cases and timeline length.
func (s *Store) readMerged(ctx context.Context, src citizenKeys) (merged, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	rec := pipe.HMGet(ctx, src.c(), "version", "n")
	l := pipe.HGetAll(ctx, src.l())
	k := pipe.HGetAll(ctx, src.k())
	if _, err := pipe.Exec(ctx); err != nil {
		return merged{}, fmt.Errorf("read: %w", err)
	}
	if _, ok := rec.Val()[0].(string); !ok {
		return merged{}, nil
	}
	n, _ := rec.Val()[1].(string)
	count, err := strconv.ParseInt(n, 10, 64)
	if err != nil {
		return merged{}, fmt.Errorf("read: timeline length %q: %w", n, errCorrupt)
	}
	return merged{found: true, links: l.Val(), cases: k.Val(), n: count}, nil
}

// copyRecords runs mergeScript and returns the target's assurance for each
// of the merged citizen's identifier keys.
func (s *Store) copyRecords(ctx context.Context, dst citizenKeys, from string, links, cases map[string]string) (map[string]string, error) {
	args := make([]any, 0, 2+2*len(links)+2*len(cases))
	args = append(args, from, strconv.Itoa(len(links)))
	for key, enc := range links {
		args = append(args, key, enc)
	}
	for ref, v := range cases {
		args = append(args, ref, v)
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	out, err := mergeScript.Run(ctx, s.client, []string{dst.c(), dst.l(), dst.k()}, args...).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("copy records: %w", err)
	}
	owners := make(map[string]string, len(out)/2)
	for i := 0; i+1 < len(out); i += 2 {
		owners[out[i]] = out[i+1]
	}
	return owners, nil
}

// repoint moves the merged citizen's index entries to target and marks the
// merged record, in one round trip.
func (s *Store) repoint(ctx context.Context, target, from, fromRecord string, owners map[string]string) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	for key, a := range owners {
		indexScript.EvalSha(ctx, pipe, []string{s.indexKey(key)}, target, a, from)
	}
	pipe.HSet(ctx, fromRecord, "merged_into", target)
	if err := exec(ctx, pipe); err != nil {
		return fmt.Errorf("repoint: %w", err)
	}
	return nil
}
