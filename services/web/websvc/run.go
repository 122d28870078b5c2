package websvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"unisson.dev/platform/admin"
	"unisson.dev/platform/eventlog"
	contextv1 "unisson.dev/proto/unisson/context/v1"
)

// drainTimeout bounds the final drain of the NATS connection.
const drainTimeout = 30 * time.Second

// Run runs the web adapter until ctx ends, then shuts down in order: the
// HTTP servers, the publisher (which commits what it accepted), the gRPC
// connection and last the NATS connection, drained.
func Run(ctx context.Context, cfg Config, log *slog.Logger) (err error) {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	log.Info("web adapter starting", "config", cfg)
	nc, err := eventlog.Connect(cfg.NATSURL, "unisson-web", log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, drain(nc)) }()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	if _, err := eventlog.EnsureStream(ctx, nc, js, cfg.Stream); err != nil {
		return err
	}
	// TODO(mtls): transport credentials once services talk mTLS.
	conn, err := grpc.NewClient(cfg.ContextAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("dial context service: %w", err)
	}
	defer conn.Close()
	apiL, adminL, err := listen(cfg)
	if err != nil {
		return err
	}
	pub := eventlog.NewPublisher(js, eventlog.DefaultPublisherConfig())
	adm := admin.New()
	// Readiness follows NATS only: writes need nothing else, and a context
	// service outage must not take the write path out of a load balancer.
	adm.AddCheck("nats", func(context.Context) error { return natsReady(nc) })
	h := NewHandler(cfg, Deps{Log: log, Publisher: pub, Stream: cfg.Stream, JS: js,
		Context: contextv1.NewContextServiceClient(conn), Metrics: adm.Registry})
	log.Info("web adapter serving", "http_addr", apiL.Addr().String(), "admin_addr", adminL.Addr().String())
	return serve(ctx, apiL, adminL, h, adm, pub, log)
}

func listen(cfg Config) (api, adm net.Listener, err error) {
	api, err = net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen http: %w", err)
	}
	adm, err = net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		api.Close()
		return nil, nil, fmt.Errorf("listen admin: %w", err)
	}
	return api, adm, nil
}

// serve runs the publisher and both HTTP servers. When ctx ends, or either
// server fails, it shuts the servers down and only then stops the
// publisher, so that every request in flight gets its acknowledgement.
func serve(ctx context.Context, apiL, adminL net.Listener, h http.Handler, adm *admin.Server,
	pub *eventlog.Publisher, log *slog.Logger) error {
	pubCtx, stopPub := context.WithCancel(context.WithoutCancel(ctx))
	defer stopPub()
	pubDone := make(chan error, 1)
	go func() { pubDone <- pub.Run(pubCtx) }()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var apiErr, adminErr error
	wg.Go(func() { defer cancel(); apiErr = admin.ServeHTTP(ctx, apiL, h, log) })
	wg.Go(func() { defer cancel(); adminErr = adm.Run(ctx, adminL, log) })
	wg.Wait()
	log.Info("http servers stopped; stopping publisher")
	stopPub()
	if err := <-pubDone; err != nil {
		return errors.Join(apiErr, adminErr, fmt.Errorf("publisher: %w", err))
	}
	return errors.Join(apiErr, adminErr)
}

func natsReady(nc *nats.Conn) error {
	if s := nc.Status(); s != nats.CONNECTED {
		return fmt.Errorf("nats connection %s", s)
	}
	return nil
}

// drain lets the connection's pending messages go out, then closes it.
func drain(nc *nats.Conn) error {
	closed := make(chan struct{})
	nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
	if err := nc.Drain(); err != nil {
		nc.Close()
		return fmt.Errorf("drain nats: %w", err)
	}
	select {
	case <-closed:
		return nil
	case <-time.After(drainTimeout):
		nc.Close()
		return errors.New("drain nats: timed out")
	}
}
