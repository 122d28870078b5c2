package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"unisson.dev/platform/admin"
	"unisson.dev/platform/eventlog"
	"unisson.dev/platform/grpcserve"
	contextv1 "unisson.dev/proto/unisson/context/v1"
	"unisson.dev/services/context/contextsvc"
	"unisson.dev/services/web/websvc"
)

// serviceLog is what the services under test log to: JSON formatted as in
// a deployment, written nowhere, so formatting costs what it costs there.
func serviceLog() *slog.Logger {
	return slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// stackConfig says which Unisson to run: the store (Redis or embedded),
// the stream and the durable consumer.
type stackConfig struct {
	conn        *logConn
	stream      eventlog.StreamConfig
	redisURL    string
	redisPrefix string
	durable     string
	// snapshotCacheMB is the service's --snapshot-cache-mb.
	snapshotCacheMB int
}

// stack is a running Unisson as the hub composes it: the context service
// (projections and gRPC), a publisher and the web API, in this process.
type stack struct {
	reg      *prometheus.Registry
	grpcAddr string
	conn     *grpc.ClientConn
	client   contextv1.ContextServiceClient
	pub      *eventlog.Publisher
	webURL   string
	// started is when the context service began applying the log.
	started time.Time
	stop    func() error
}

func startStack(ctx context.Context, sc stackConfig) (st *stack, err error) {
	cfg := contextsvc.Config{
		GRPCAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", NATSURL: "bench",
		RedisURL: sc.redisURL, RedisPrefix: sc.redisPrefix, Stream: sc.stream, Durable: sc.durable,
		TokenWait: time.Minute, StoreTimeout: 10 * time.Second, SnapshotCacheMB: sc.snapshotCacheMB,
	}
	log := serviceLog()
	reg := prometheus.NewRegistry()
	svcCtx, stopSvc := context.WithCancel(context.WithoutCancel(ctx))
	svc, err := contextsvc.New(svcCtx, cfg, sc.conn.nc, reg, log)
	if err != nil {
		stopSvc()
		return nil, fmt.Errorf("context service: %w", err)
	}
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		stopSvc()
		return nil, fmt.Errorf("listen grpc: %w", err)
	}
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		stopSvc()
		_ = gl.Close()
		return nil, fmt.Errorf("listen http: %w", err)
	}
	gs := grpcserve.New()
	svc.Register(gs.GRPC)
	conn, err := grpc.NewClient(gl.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		stopSvc()
		return nil, fmt.Errorf("dial context service: %w", err)
	}
	st = &stack{reg: reg, grpcAddr: gl.Addr().String(), conn: conn, client: contextv1.NewContextServiceClient(conn),
		pub: eventlog.NewPublisher(sc.conn.js, eventlog.DefaultPublisherConfig()), webURL: "http://" + hl.Addr().String()}
	web := websvc.DefaultConfig()
	web.Stream = sc.stream
	handler := websvc.NewHandler(web, websvc.Deps{Log: log, Publisher: st.pub, Stream: sc.stream, JS: sc.conn.js,
		Context: st.client, Metrics: prometheus.NewRegistry()})

	srvCtx, stopSrv := context.WithCancel(context.WithoutCancel(ctx))
	pubCtx, stopPub := context.WithCancel(context.WithoutCancel(ctx))
	var srvWG, pubWG, svcWG sync.WaitGroup
	errs := make(chan error, 4)
	srvWG.Go(func() { errs <- admin.ServeHTTP(srvCtx, hl, handler, discardLog()) })
	srvWG.Go(func() {
		defer svc.StopWatches()
		errs <- gs.Run(srvCtx, gl, discardLog())
	})
	pubWG.Go(func() { errs <- st.pub.Run(pubCtx) })
	st.started = time.Now()
	svcWG.Go(func() { errs <- svc.Run(svcCtx) })
	// The hub's shutdown order: servers, publisher, projections.
	st.stop = func() error {
		stopSrv()
		srvWG.Wait()
		stopPub()
		pubWG.Wait()
		stopSvc()
		svcWG.Wait()
		_ = conn.Close()
		close(errs)
		var all []error
		for err := range errs {
			all = append(all, err)
		}
		return errors.Join(all...)
	}
	return st, nil
}

// waitApplied returns once the projections have applied the log up to
// seq: a read carrying that position as its token waits for it (and
// answers "not yet" after the service's token wait, so it is asked again).
func (st *stack) waitApplied(ctx context.Context, seq uint64, ref *contextv1.CitizenRef) error {
	token := eventlog.Token(seq).String()
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		_, err := st.client.GetContext(cctx, &contextv1.GetContextRequest{Citizen: ref, ConsistencyToken: token, TimelineLimit: 1})
		cancel()
		switch status.Code(err) {
		case codes.OK, codes.NotFound: // the token wait comes before the lookup
			return nil
		case codes.Unavailable:
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("wait for position %d: %w", seq, err)
	}
}

// gauge reads one of the service's gauges or counters; -1 when it has none
// of that name.
func (st *stack) gauge(name string) float64 {
	mfs, err := st.reg.Gather()
	if err != nil {
		return -1
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			m := mf.GetMetric()[0]
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return -1
}
