package contextsvc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"unisson.dev/services/context/internal/lease"
	"unisson.dev/services/context/internal/logconsumer"
)

// memoryConsumerTTL lets the server drop the consumer of an embedded store
// that is gone with its process.
const memoryConsumerTTL = time.Hour

// consumerConfig names the durable consumer and the applier lease. A Redis
// store is shared: every service on it competes for one lease and the
// winner applies. An embedded store belongs to its process: it gets a
// consumer and a lease of its own.
func consumerConfig(ctx context.Context, cfg Config, js jetstream.JetStream, log *slog.Logger) (logconsumer.Config, error) {
	// Each store has its own consumer: two stores fed by one stream must not
	// take each other's messages.
	cc := logconsumer.Config{Stream: cfg.Stream, Durable: cfg.Durable + "-" + storeID(cfg)}
	name := "projector-" + cfg.Stream.Name + "-" + storeID(cfg)
	if cfg.RedisURL == "" {
		cc.Durable = cfg.Durable + "-" + logconsumer.NewEpoch()
		cc.InactiveThreshold = memoryConsumerTTL
		name = cc.Durable
	}
	l, err := lease.Open(ctx, js, cfg.Stream.Replicas, name, log)
	if err != nil {
		return cc, err
	}
	cc.Lease = l
	return cc, nil
}

// storeID names a Redis store by its address, database and key prefix.
func storeID(cfg Config) string {
	u, err := url.Parse(cfg.RedisURL)
	where := cfg.RedisURL
	if err == nil {
		where = u.Host + u.Path
	}
	sum := sha256.Sum256([]byte(where + "|" + cfg.RedisPrefix))
	return hex.EncodeToString(sum[:6])
}

func lastSeq(ctx context.Context, js jetstream.JetStream, cfg Config) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, cfg.Stream.Name)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", cfg.Stream.Name, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream info: %w", err)
	}
	return info.State.LastSeq, nil
}
