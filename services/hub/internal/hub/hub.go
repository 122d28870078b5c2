package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"unisson.dev/platform/admin"
	"unisson.dev/platform/eventlog"
	"unisson.dev/platform/grpcserve"
	"unisson.dev/platform/natsembed"
	contextv1 "unisson.dev/proto/unisson/context/v1"
	"unisson.dev/services/context/contextsvc"
	"unisson.dev/services/web/websvc"
)

// Addrs are the addresses the hub serves.
type Addrs struct {
	HTTP, GRPC, Admin string
	// NATS is the embedded server's client URL, "" when it has no TCP port.
	NATS string
}

// Hub is a running all-in-one Unisson.
type Hub struct {
	addrs Addrs
	done  chan struct{}
	err   error
}

// Addrs returns the addresses the hub serves.
func (h *Hub) Addrs() Addrs { return h.addrs }

// Wait blocks until the hub has shut down after ctx ended, and returns the
// first error that stopped it.
func (h *Hub) Wait() error {
	<-h.done
	return h.err
}

// parts are the hub's running pieces, in start order.
type parts struct {
	nats      *natsembed.Server
	nc        *nats.Conn
	ctxSvc    *contextsvc.Service
	pub       *eventlog.Publisher
	conn      *grpc.ClientConn
	grpc      *grpcserve.Server
	admin     *admin.Server
	web       *websvc.Deps
	listeners [3]net.Listener // http, grpc, admin
}

// Start starts everything and returns once the hub serves; it stops when
// ctx ends.
func Start(ctx context.Context, cfg Config, log *slog.Logger) (*Hub, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	p := &parts{}
	if err := p.start(ctx, cfg, log); err != nil {
		p.close(log)
		return nil, err
	}
	h := &Hub{done: make(chan struct{}), addrs: Addrs{
		HTTP: p.listeners[0].Addr().String(), GRPC: p.listeners[1].Addr().String(),
		Admin: p.listeners[2].Addr().String(), NATS: p.nats.ClientURL(),
	}}
	go func() {
		h.err = p.serve(ctx, cfg, log)
		p.close(log)
		close(h.done)
	}()
	return h, nil
}

func (p *parts) start(ctx context.Context, cfg Config, log *slog.Logger) error {
	var err error
	p.nats, err = natsembed.Start(natsembed.Config{StoreDir: filepath.Join(cfg.DataDir, "nats"), Listen: cfg.NATSListen})
	if err != nil {
		return err
	}
	if p.nc, err = p.nats.Connect("unisson-hub"); err != nil {
		return err
	}
	p.admin = admin.New()
	if p.ctxSvc, err = contextsvc.New(ctx, cfg.Context, p.nc, p.admin.Registry, log); err != nil {
		return err
	}
	for i, addr := range []string{cfg.HTTPAddr, cfg.GRPCAddr, cfg.AdminAddr} {
		if p.listeners[i], err = net.Listen("tcp", addr); err != nil {
			return fmt.Errorf("listen on %s: %w", addr, err)
		}
	}
	p.grpc = grpcserve.New()
	p.ctxSvc.Register(p.grpc.GRPC)
	p.grpc.BeforeStop = p.ctxSvc.StopWatches
	p.conn, err = grpc.NewClient(p.listeners[1].Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("dial own grpc: %w", err)
	}
	js, err := jetstream.New(p.nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	p.pub = eventlog.NewPublisher(js, eventlog.DefaultPublisherConfig())
	p.web = &websvc.Deps{Log: log, Publisher: p.pub, Stream: cfg.Context.Stream, JS: js,
		Context: contextv1.NewContextServiceClient(p.conn), Metrics: p.admin.Registry}
	p.ctxSvc.RegisterAdmin(p.admin)
	return nil
}

// serve runs every part until ctx ends or one fails, then stops them in
// order: the web API (requests in flight finish), the publisher (it commits
// what it accepted), gRPC and watches, the admin server, the projections.
func (p *parts) serve(ctx context.Context, cfg Config, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 5)
	run := func(wg *sync.WaitGroup, name string, f func() error) {
		wg.Go(func() {
			if err := f(); err != nil {
				errs <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		})
	}
	pubCtx, stopPub := context.WithCancel(context.WithoutCancel(ctx))
	svcCtx, stopSvc := context.WithCancel(context.WithoutCancel(ctx))
	var pubWG, svcWG, srvWG sync.WaitGroup
	run(&pubWG, "publisher", func() error { return p.pub.Run(pubCtx) })
	run(&svcWG, "context service", func() error { return p.ctxSvc.Run(svcCtx) })
	handler := websvc.NewHandler(cfg.Web, *p.web)
	run(&srvWG, "web", func() error { return admin.ServeHTTP(ctx, p.listeners[0], handler, log) })
	run(&srvWG, "grpc", func() error { return p.grpc.Run(ctx, p.listeners[1], log) })
	run(&srvWG, "admin", func() error { return p.admin.Run(ctx, p.listeners[2], log) })
	<-ctx.Done()
	srvWG.Wait()
	stopPub()
	pubWG.Wait()
	stopSvc()
	svcWG.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// close releases what start opened, in reverse order.
func (p *parts) close(log *slog.Logger) {
	if p.conn != nil {
		_ = p.conn.Close()
	}
	for _, l := range p.listeners {
		if l != nil {
			_ = l.Close()
		}
	}
	if p.nc != nil {
		if err := p.nc.Drain(); err != nil {
			log.Warn("drain nats", "err", err)
		}
	}
	if p.nats != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p.nats.Shutdown(ctx)
	}
}
