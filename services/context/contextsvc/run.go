package contextsvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"unisson.dev/platform/admin"
	"unisson.dev/platform/eventlog"
	"unisson.dev/platform/grpcserve"

	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/logconsumer"
	"unisson.dev/services/context/internal/projection"
)

// Run runs the standalone context service until ctx ends.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	log.Info("starting context service", "config", cfg)
	nc, err := eventlog.Connect(cfg.NATSURL, "unisson-context", log)
	if err != nil {
		return err
	}
	defer nc.Close()
	adm := admin.New()
	svc, err := New(ctx, cfg, nc, adm.Registry, log)
	if err != nil {
		return err
	}
	gl, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return fmt.Errorf("listen grpc: %w", err)
	}
	al, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		return fmt.Errorf("listen admin: %w", err)
	}
	gs := grpcserve.New()
	svc.Register(gs.GRPC)
	gs.BeforeStop = svc.StopWatches
	adm.AddCheck("store", svc.Ready)
	svc.RegisterAdmin(adm)
	log.Info("context service ready", "grpc", gl.Addr().String(), "admin", al.Addr().String())

	// The service outlives the gRPC server, so answers in flight are recorded.
	svcCtx, stopSvc := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSvc()
	svcDone := make(chan error, 1)
	go func() { svcDone <- svc.Run(svcCtx) }()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return gs.Run(gctx, gl, log)
	})
	g.Go(func() error { return adm.Run(gctx, al, log) })
	g.Go(func() error {
		select {
		case err := <-svcDone:
			svcDone <- err
			return fmt.Errorf("context service stopped: %w", err)
		case <-gctx.Done():
			return nil
		}
	})
	err = g.Wait()
	stopSvc()
	err = errors.Join(err, <-svcDone)
	if derr := nc.Drain(); derr != nil {
		log.Warn("drain nats", "err", derr)
	}
	return err
}

// Rebuild drops the projections and replays the whole log into them, then
// returns. Stop the running context service first: one applier at a time.
// A running service rebuilds through POST /admin/rebuild instead.
func Rebuild(ctx context.Context, cfg Config, nc *nats.Conn, log *slog.Logger) error {
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	stream, err := eventlog.EnsureStream(ctx, nc, js, cfg.Stream)
	if err != nil {
		return err
	}
	cc, err := consumerConfig(ctx, cfg, js, log)
	if err != nil {
		return err
	}
	if err := cc.Lease.TryAcquire(ctx); err != nil {
		return fmt.Errorf("%w: stop it first, or ask it to rebuild with POST /admin/rebuild", err)
	}
	defer cc.Lease.Release(context.WithoutCancel(ctx))
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	return rebuild(ctx, cfg, cc, js, stream, store, log)
}

func rebuild(ctx context.Context, cfg Config, cc logconsumer.Config, js jetstream.JetStream, stream jetstream.Stream, store contextstore.Store, log *slog.Logger) error {
	ictx, cancel := context.WithTimeout(ctx, 10*time.Second)
	info, err := stream.Info(ictx)
	cancel()
	if err != nil {
		return fmt.Errorf("stream info: %w", err)
	}
	w := projection.NewWatermark(0)
	proj := projection.NewProjector(store, w, nil, nil, log)
	cacheIndex(proj, cfg)
	if err := proj.Reset(ctx, logconsumer.NewEpoch()); err != nil {
		return err
	}
	until := info.State.LastSeq
	log.Info("rebuilding projections", "until", until)
	if until == 0 {
		return nil
	}
	c := logconsumer.New(js, cc, proj, store, log)
	if err := c.Run(ctx, until); err != nil {
		return fmt.Errorf("replay log: %w", err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	log.Info("projections rebuilt", "applied", w.Seq())
	return nil
}
