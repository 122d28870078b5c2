package redisstore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// merge merges each of froms into target. Merges are rare, so each takes a
// few round trips; every step is idempotent, so a batch sent again after a
// failure finishes the job.
func (s *Store) merge(ctx context.Context, target string, froms []string) error {
	for _, from := range froms {
		if from == target {
			continue
		}
		if err := s.mergeOne(ctx, target, from); err != nil {
			return fmt.Errorf("merge %s into %s: %w", from, target, err)
		}
	}
	return nil
}

func (s *Store) mergeOne(ctx context.Context, target, from string) error {
	src, dst := s.citizenKeys(from), s.citizenKeys(target)
	links, cases, found, err := s.readMerged(ctx, src)
	if err != nil || !found {
		return err
	}
	if err := s.copyTimeline(ctx, src.t, dst.t); err != nil {
		return err
	}
	owners, err := s.copyRecords(ctx, dst, from, links, cases)
	if err != nil {
		return err
	}
	return s.repoint(ctx, target, from, src.c, owners)
}

// readMerged reads the merged citizen's links and cases as stored.
func (s *Store) readMerged(ctx context.Context, src citizenKeys) (links, cases map[string]string, found bool, err error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	pipe := s.client.Pipeline()
	exists := pipe.Exists(ctx, src.c)
	l := pipe.HGetAll(ctx, src.l)
	k := pipe.HGetAll(ctx, src.k)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, nil, false, fmt.Errorf("read: %w", err)
	}
	return l.Val(), k.Val(), exists.Val() == 1, nil
}

// copyTimeline adds the source timeline to the target's a page at a time;
// members are equal in both, so copying twice adds nothing.
func (s *Store) copyTimeline(ctx context.Context, src, dst string) error {
	const page = 1000
	for start := int64(0); ; start += page {
		entries, err := s.timelinePage(ctx, src, start, start+page-1)
		if err != nil {
			return err
		}
		if len(entries) > 0 {
			cctx, cancel := s.call(ctx)
			err = s.client.ZAdd(cctx, dst, entries...).Err()
			cancel()
			if err != nil {
				return fmt.Errorf("copy timeline: %w", err)
			}
		}
		if len(entries) < page {
			return nil
		}
	}
}

func (s *Store) timelinePage(ctx context.Context, key string, start, stop int64) ([]redis.Z, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	z, err := s.client.ZRangeWithScores(ctx, key, start, stop).Result()
	if err != nil {
		return nil, fmt.Errorf("read timeline: %w", err)
	}
	return z, nil
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
	out, err := mergeScript.Run(ctx, s.client, []string{dst.c, dst.l, dst.k}, args...).StringSlice()
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
