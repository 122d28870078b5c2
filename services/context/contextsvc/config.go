// Package contextsvc assembles the context service: it opens the store,
// consumes the interaction log into the projections and serves them over
// gRPC. The standalone binary and the all-in-one hub both use it.
package contextsvc

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"unisson.dev/platform/config"
	"unisson.dev/platform/eventlog"
)

// Config is the context service's configuration.
type Config struct {
	GRPCAddr  string
	AdminAddr string
	NATSURL   string
	// RedisURL selects the Redis store; empty selects the embedded store,
	// rebuilt from the log at every start.
	RedisURL    string
	RedisPrefix string
	Stream      eventlog.StreamConfig
	Durable     string
	// TokenWait bounds how long a read waits for its consistency token.
	TokenWait time.Duration
	// StoreTimeout bounds every store call.
	StoreTimeout time.Duration
	// SnapshotCacheMB bounds the snapshots the applying service keeps in
	// memory for GetContext, in MiB; 0 keeps none.
	SnapshotCacheMB int
	// KnowledgeDir holds the knowledge base files this service publishes;
	// empty: follow the base other services publish.
	KnowledgeDir string
}

// DefaultSnapshotCacheMB holds the first pages of about 10,000 active
// citizens of the benchmark's data set (docs/performance.md, change 19).
const DefaultSnapshotCacheMB = 128

// RegisterFlags registers every setting as a flag with an environment
// variable as its default.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	config.String(fs, &c.GRPCAddr, "grpc-addr", "UNISSON_CONTEXT_GRPC_ADDR", "127.0.0.1:9090", "gRPC listen address")
	config.String(fs, &c.AdminAddr, "admin-addr", "UNISSON_CONTEXT_ADMIN_ADDR", "127.0.0.1:9091", "admin (health, metrics, rebuild) listen address")
	config.String(fs, &c.NATSURL, "nats-url", "UNISSON_NATS_URL", "nats://127.0.0.1:4222", "NATS server URL")
	c.RegisterStoreFlags(fs)
}

// RegisterStoreFlags registers the settings of the store, the stream and
// the projections, which the hub shares.
func (c *Config) RegisterStoreFlags(fs *flag.FlagSet) {
	config.String(fs, &c.RedisURL, "redis-url", "UNISSON_REDIS_URL", "", "Redis URL (redis://host:port/db); empty uses the embedded store")
	config.String(fs, &c.RedisPrefix, "redis-prefix", "UNISSON_REDIS_PREFIX", "unisson:", "prefix of every Redis key")
	c.Stream.RegisterFlags(fs)
	config.String(fs, &c.Durable, "consumer", "UNISSON_CONTEXT_CONSUMER", "context-projector", "durable consumer name")
	config.Duration(fs, &c.TokenWait, "token-wait", "UNISSON_TOKEN_WAIT", 2*time.Second, "how long a read waits for its consistency token")
	config.Duration(fs, &c.StoreTimeout, "store-timeout", "UNISSON_STORE_TIMEOUT", 5*time.Second, "deadline of every store call")
	config.Int(fs, &c.SnapshotCacheMB, "snapshot-cache-mb", "UNISSON_SNAPSHOT_CACHE_MB", DefaultSnapshotCacheMB, "MiB of citizen snapshots the applying service keeps for GetContext with the Redis store; 0 keeps none")
	config.String(fs, &c.KnowledgeDir, "knowledge-dir", "UNISSON_KNOWLEDGE_DIR", "", "directory of the knowledge base (YAML answers) to publish; empty: follow the published one")
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	errs := config.EnvErrors()
	if c.RedisURL != "" {
		if _, err := url.Parse(c.RedisURL); err != nil {
			errs = append(errs, fmt.Errorf("redis-url: %w", err))
		}
	}
	if err := c.Stream.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Durable == "" {
		errs = append(errs, errors.New("consumer: a name is required"))
	}
	if c.TokenWait <= 0 || c.TokenWait > time.Minute {
		errs = append(errs, errors.New("token-wait: must be between 0 and 1m"))
	}
	if c.SnapshotCacheMB < 0 || c.SnapshotCacheMB > 1<<20 {
		errs = append(errs, errors.New("snapshot-cache-mb: must be between 0 and 1048576"))
	}
	if c.StoreTimeout <= 0 {
		errs = append(errs, errors.New("store-timeout: must be positive"))
	}
	return errors.Join(errs...)
}

// LogValue logs the configuration without secrets.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("grpc_addr", c.GRPCAddr), slog.String("admin_addr", c.AdminAddr),
		slog.String("nats_url", config.Redact(c.NATSURL)), slog.String("redis_url", config.Redact(c.RedisURL)),
		slog.String("stream", c.Stream.Name), slog.Int("replicas", c.Stream.Replicas),
		slog.String("consumer", c.Durable), slog.Duration("token_wait", c.TokenWait),
		slog.Int("snapshot_cache_mb", c.SnapshotCacheMB), slog.String("knowledge_dir", c.KnowledgeDir),
	)
}
