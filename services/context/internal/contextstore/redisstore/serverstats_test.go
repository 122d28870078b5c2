package redisstore_test

import (
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// info reads one numeric field of INFO section.
func info(b *testing.B, c *redis.Client, section, field string) float64 {
	b.Helper()
	v, err := c.Info(b.Context(), section).Result()
	if err != nil {
		b.Fatalf("INFO %s: %v", section, err)
	}
	for _, line := range strings.Split(v, "\r\n") {
		if val, ok := strings.CutPrefix(line, field+":"); ok {
			f, err := strconv.ParseFloat(val, 64)
			if err != nil {
				b.Fatalf("INFO %s: %v", field, err)
			}
			return f
		}
	}
	b.Fatalf("INFO %s has no %s", section, field)
	return 0
}

// redisCPU is the server's CPU time so far, in seconds.
func redisCPU(b *testing.B, c *redis.Client) float64 {
	return info(b, c, "cpu", "used_cpu_user") + info(b, c, "cpu", "used_cpu_sys")
}

// processCPU is the CPU time this process has used: Apply's client side
// when read around it.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// keyUsage sums MEMORY USAGE by kind of key: the citizen key's suffix, or
// "index" for the identifier index.
func keyUsage(b *testing.B, c *redis.Client) map[string]int64 {
	b.Helper()
	ctx := b.Context()
	usage := make(map[string]int64)
	iter := c.Scan(ctx, 0, "*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		b.Fatalf("SCAN: %v", err)
	}
	pipe := c.Pipeline()
	cmds := make([]*redis.IntCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.MemoryUsage(ctx, k, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		b.Fatalf("MEMORY USAGE: %v", err)
	}
	for i, k := range keys {
		kind := "other"
		switch {
		case strings.Contains(k, "{i:"):
			kind = "index"
		case strings.Contains(k, "{c:"):
			kind = "key-" + k[strings.LastIndexByte(k, ':')+1:]
		}
		usage[kind] += cmds[i].Val()
	}
	return usage
}
