package snapcache_test

import (
	"testing"
	"time"

	"unisson.dev/platform/testenv"

	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/redisstore"
	"unisson.dev/services/context/internal/contextstore/snapcache"
	"unisson.dev/services/context/internal/contextstore/storetest"
)

// BenchmarkSnapshot reads the first page of storetest.SnapshotBatch's
// citizen from Redis, then through the cache (hits after the first):
//
//	go test -run '^$' -bench Snapshot -benchmem ./internal/contextstore/snapcache
func BenchmarkSnapshot(b *testing.B) {
	r := testenv.StartRedis(b)
	opts, err := redisstore.ParseURL(r.URL)
	if err != nil {
		b.Fatal(err)
	}
	redis := redisstore.New(redisClient(b, opts), r.Prefix+testenv.RandomID()+":", 5*time.Second)
	if err := redis.Reset(b.Context(), storetest.Epoch); err != nil {
		b.Fatal(err)
	}
	storetest.ApplyAll(b, redis, storetest.SnapshotBatch(storetest.Epoch, "citizen-1"))
	for _, bc := range []struct {
		name  string
		store contextstore.Store
	}{
		{"store=redis", redis},
		{"store=cached", snapcache.New(redis, alwaysHeld, 64<<20)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := storetest.CheckSnapshotPage(bc.store.Snapshot(b.Context(), "citizen-1", 20)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
