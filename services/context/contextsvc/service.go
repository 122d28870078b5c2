package contextsvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"

	"unisson.dev/platform/eventlog"

	"unisson.dev/services/context/internal/contextapp"
	"unisson.dev/services/context/internal/contextgrpc"
	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/memstore"
	"unisson.dev/services/context/internal/contextstore/redisstore"
	"unisson.dev/services/context/internal/contextstore/snapcache"
	"unisson.dev/services/context/internal/knowledgesync"
	"unisson.dev/services/context/internal/lease"
	"unisson.dev/services/context/internal/logconsumer"
	"unisson.dev/services/context/internal/projection"
	"unisson.dev/services/context/internal/watch"
)

// Service is the context service wired to its store and the log.
type Service struct {
	cfg       Config
	log       *slog.Logger
	js        jetstream.JetStream
	store     contextstore.Store
	watermark *projection.Watermark
	hub       *watch.Hub
	consumer  *logconsumer.Consumer
	grpc      *contextgrpc.Server
	knowledge *knowledgesync.Source
	answers   *contextapp.Answers
	pub       *eventlog.Publisher
	// startSeq is the log's last position when the service started: it is
	// not ready before it has applied that far.
	startSeq uint64
}

// New opens the store, ensures the stream exists and wires the service; it
// applies nothing until Run.
func New(ctx context.Context, cfg Config, nc *nats.Conn, reg prometheus.Registerer, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if _, err := eventlog.EnsureStream(ctx, nc, js, cfg.Stream); err != nil {
		return nil, err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	kb, err := knowledgesync.Open(ctx, js, cfg.Stream.Replicas, cfg.KnowledgeDir, log)
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	cc, err := consumerConfig(ctx, cfg, js, log)
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	store = cacheSnapshots(store, cc.Lease, cfg, reg)
	s := &Service{cfg: cfg, log: log, js: js, store: store, watermark: projection.NewWatermark(0), hub: watch.NewHub(), knowledge: kb}
	if s.startSeq, err = lastSeq(ctx, js, cfg); err != nil {
		_ = store.Close()
		return nil, err
	}
	app := contextapp.New(store, s.watermark, s.hub, cfg.TokenWait)
	proj := projection.NewProjector(store, s.watermark, notifiers(s.hub, app, cfg), projection.NewMetrics(reg), log)
	cacheIndex(proj, cfg)
	s.consumer = logconsumer.New(js, cc, proj, store, log)
	s.pub = eventlog.NewPublisher(js, eventlog.DefaultPublisherConfig())
	s.answers = contextapp.NewAnswers(app, kb, s.pub, cfg.Stream, reg)
	s.grpc = contextgrpc.New(app, s.answers, log)
	s.registerMetrics(reg)
	return s, nil
}

// indexCacheKeys bounds the identifier keys the applier remembers between
// runs with the Redis store: 262,144 keys, about 30 MB, hold every
// identifier of the benchmark's 100,000 citizens.
const indexCacheKeys = 1 << 18

// cacheIndex lets the projector remember the identifier index when the
// store is Redis, where each lookup is a round trip; the memory store
// answers a lookup as fast as the cache would.
func cacheIndex(proj *projection.Projector, cfg Config) {
	if cfg.RedisURL != "" {
		proj.CacheIndex(indexCacheKeys)
	}
}

// cacheSnapshots puts the snapshot cache in front of the Redis store; it
// serves while this service holds the applier lease, so the projector's
// writes, which go through it, are all the store's writes. The memory
// store reads a snapshot about as fast as the cache keeps one: measured
// in services/bench, a cache in front of it gained nothing.
func cacheSnapshots(store contextstore.Store, l *lease.Lease, cfg Config, reg prometheus.Registerer) contextstore.Store {
	if cfg.SnapshotCacheMB == 0 || cfg.RedisURL == "" {
		return store
	}
	c := snapcache.New(store, l.Held, int64(cfg.SnapshotCacheMB)<<20)
	stat := func(f func(snapcache.Stats) float64) func() float64 {
		return func() float64 { return f(c.Stats()) }
	}
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "unisson", Subsystem: "snapshot_cache", Name: "hits_total",
			Help: "GetContext snapshots served from the applying service's memory.",
		}, stat(func(s snapcache.Stats) float64 { return float64(s.Hits) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "unisson", Subsystem: "snapshot_cache", Name: "misses_total",
			Help: "GetContext snapshots read from the store while holding the lease.",
		}, stat(func(s snapcache.Stats) float64 { return float64(s.Misses) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "unisson", Subsystem: "snapshot_cache", Name: "bytes",
			Help: "Estimated memory of the cached snapshots.",
		}, stat(func(s snapcache.Stats) float64 { return float64(s.Bytes) })),
	)
	return c
}

// notifiers tells the watchers about every applied interaction and, with
// the Redis store, where an identifier lookup is a round trip, lets the
// read side learn the identifiers' owners as they are linked.
func notifiers(hub *watch.Hub, app *contextapp.App, cfg Config) projection.Notifier {
	if cfg.RedisURL == "" {
		return hub
	}
	return projection.Notifiers{hub, app}
}

func openStore(ctx context.Context, cfg Config) (contextstore.Store, error) {
	if cfg.RedisURL == "" {
		return memstore.New(), nil
	}
	opts, err := redisstore.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	client := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, cfg.StoreTimeout)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("connect to redis: %w", err)
	}
	return redisstore.New(client, cfg.RedisPrefix, cfg.StoreTimeout), nil
}

func (s *Service) registerMetrics(reg prometheus.Registerer) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "unisson", Subsystem: "projection", Name: "applied_position",
			Help: "Log position the projections have applied.",
		}, func() float64 { return float64(s.watermark.Seq()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "unisson", Subsystem: "watch", Name: "watchers",
			Help: "Open WatchContext streams.",
		}, func() float64 { return float64(s.hub.Watchers()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "unisson", Subsystem: "projection", Name: "consumer_lag",
			Help: "Interactions in the log not yet applied to the projections.",
		}, s.lag),
	)
}

// lag is the stream's last position minus the applied one.
func (s *Service) lag() float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := s.js.Stream(ctx, s.cfg.Stream.Name)
	if err != nil {
		return -1
	}
	info, err := st.Info(ctx)
	if err != nil {
		return -1
	}
	return float64(info.State.LastSeq) - float64(s.watermark.Seq())
}

// Register adds ContextService to a gRPC server made by grpcserve.New,
// whose codec encodes its framed responses.
func (s *Service) Register(g *grpc.Server) { s.grpc.Register(g) }

// Run applies the log to the projections and follows the knowledge base
// until ctx ends, then ends every watch stream, commits the answers it
// accepted and closes the store. Stop serving gRPC before ctx ends.
func (s *Service) Run(ctx context.Context) error {
	defer s.store.Close()
	defer s.hub.Shutdown()
	var wg sync.WaitGroup
	var pubErr, kbErr error
	wg.Go(func() { pubErr = s.pub.Run(ctx) })
	wg.Go(func() { kbErr = s.knowledge.Run(ctx) })
	err := s.consumer.Run(ctx, 0)
	wg.Wait()
	if err != nil {
		err = fmt.Errorf("apply log: %w", err)
	}
	return errors.Join(err, pubErr, kbErr)
}

// StopWatches ends every watch stream, so a graceful gRPC stop need not
// wait for them.
func (s *Service) StopWatches() { s.hub.Shutdown() }

// Ready reports whether the service applies the log, has caught up with
// what the log held at start, and its store answers.
func (s *Service) Ready(ctx context.Context) error {
	if !s.consumer.Applying() {
		return errors.New("standby: another context service applies the log to this store")
	}
	if at := s.watermark.Seq(); at < s.startSeq {
		return fmt.Errorf("replaying the log: at %d of %d", at, s.startSeq)
	}
	epoch, err := s.store.Epoch(ctx)
	if err != nil {
		return err
	}
	if epoch == "" {
		return errors.New("store emptied; rebuilding")
	}
	return nil
}

// RebuildHandler serves POST /admin/rebuild: drop the projections and replay
// the log, in the running service.
func (s *Service) RebuildHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.consumer.Rebuild(r.Context()); err != nil {
			http.Error(w, "rebuild failed", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte("rebuild started\n"))
	})
}
