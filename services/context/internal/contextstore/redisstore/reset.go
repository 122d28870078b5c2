package redisstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Reset deletes every key under the prefix and starts a new life with
// epoch, AppliedSeq 0 and this package's key layout. The marker goes first, so a reset cut short
// leaves a store that reads as emptied (Epoch "") rather than as intact.
func (s *Store) Reset(ctx context.Context, epoch string) error {
	if epoch == "" {
		return fmt.Errorf("reset: %w", errEmptyEpoch)
	}
	if err := s.unlink(ctx, s.client, []string{s.metaKey()}); err != nil {
		return fmt.Errorf("reset: drop marker: %w", err)
	}
	s.mu.Lock()
	s.done = nil
	s.mu.Unlock()
	if err := s.deleteAll(ctx); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	cctx, cancel := s.call(ctx)
	defer cancel()
	if err := s.client.HSet(cctx, s.metaKey(), "epoch", epoch, "applied_seq", "0", "layout", layout).Err(); err != nil {
		return fmt.Errorf("reset: set marker: %w", err)
	}
	return nil
}

// deleteAll deletes the prefix's keys on every node that holds some.
func (s *Store) deleteAll(ctx context.Context) error {
	if cc, ok := s.client.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			return s.scanDelete(ctx, c)
		})
	}
	return s.scanDelete(ctx, s.client)
}

// scanDelete deletes the prefix's keys on one node, a SCAN page at a time.
func (s *Store) scanDelete(ctx context.Context, c redis.Cmdable) error {
	match := escapeGlob(s.prefix) + "*"
	var cursor uint64
	for {
		cctx, cancel := s.call(ctx)
		keys, next, err := c.Scan(cctx, cursor, match, 1000).Result()
		cancel()
		if err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		if err := s.unlink(ctx, c, keys); err != nil {
			return err
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// unlink deletes keys in one pipelined round trip, one key per command so
// that keys of different cluster slots may be mixed.
func (s *Store) unlink(ctx context.Context, c redis.Cmdable, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	pipe := c.Pipeline()
	for _, k := range keys {
		pipe.Unlink(ctx, k)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("unlink: %w", err)
	}
	return nil
}

// escapeGlob quotes the characters SCAN MATCH treats as patterns.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\^`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
