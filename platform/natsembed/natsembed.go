// Package natsembed runs a NATS server with JetStream inside the process, for
// the single binary and for tests. It is the real nats-server, configured to
// flush to disk before acknowledging.
package natsembed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Config says where the embedded server keeps its data and whether it
// listens on TCP at all.
type Config struct {
	// StoreDir holds the JetStream file store.
	StoreDir string
	// Listen is the client address ("127.0.0.1:4222"); empty means no TCP
	// port: in-process connections only.
	Listen string
	// ServerName names the server in logs and monitoring.
	ServerName string
}

// Server is a running embedded NATS server.
type Server struct {
	srv *server.Server
}

// Start starts the server and waits until it accepts connections.
func Start(cfg Config) (*Server, error) {
	if cfg.StoreDir == "" {
		return nil, errors.New("embedded nats: store dir is required")
	}
	opts := &server.Options{
		ServerName: cfg.ServerName,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		// Flush to disk before acknowledging: an acknowledged interaction
		// survives an OS crash or a power failure.
		SyncAlways:   true,
		SyncInterval: 2 * time.Minute,
		NoSigs:       true,
		NoLog:        true,
		MaxPayload:   2 << 20,
	}
	if cfg.ServerName == "" {
		opts.ServerName = "unisson-embedded"
	}
	if cfg.Listen == "" {
		opts.DontListen = true
	} else {
		host, port, err := splitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("embedded nats: listen address: %w", err)
		}
		opts.Host, opts.Port = host, port
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("embedded nats: not ready after 10s")
	}
	return &Server{srv: srv}, nil
}

// Connect opens an in-process client connection to the server, whether or
// not it has a TCP port.
//
// The connection is a net.Pipe: a write returns only once the other side
// has read it all, so the client holds its connection lock while the
// server reads, and the goroutines of both ends wake each other without
// the network poller. A goroutine that publishes a pull request can then
// lose about 10 ms inside Publish after the request is out, long enough
// for a fast consumer to drain the whole batch. That opens a race of
// nats.go's Consume (a re-pull skipped while the previous pull is being
// published; see logconsumer's pullHeartbeat). Reading 100,000 messages
// in catch-up, 3 of 160 reads stalled in-process; over loopback TCP none
// of 80 did, and none even skipped a re-pull. A pull consumer on this
// connection must set a short PullHeartbeat, so that a lost pull costs at
// most two heartbeats.
func (s *Server) Connect(name string) (*nats.Conn, error) {
	opts := []nats.Option{nats.Name(name), nats.InProcessServer(s.srv)}
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to embedded nats: %w", err)
	}
	return nc, nil
}

// ClientURL is the TCP URL of the server, or "" when it has no TCP port.
func (s *Server) ClientURL() string {
	if s.srv.Addr() == nil {
		return ""
	}
	return s.srv.ClientURL()
}

// SyncAlways reports whether JetStream flushes every write to disk before
// acknowledging it.
func (s *Server) SyncAlways() bool {
	cfg := s.srv.JetStreamConfig()
	return cfg != nil && cfg.SyncAlways
}

// Shutdown stops the server, waiting at most until ctx ends.
func (s *Server) Shutdown(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
