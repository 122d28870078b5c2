// Package hub runs all of Unisson in one process: an embedded NATS server
// with JetStream, the context service with the embedded store (or Redis),
// and the web adapter. It is the default way to run Unisson on a laptop or
// a small town hall's server; the same services also run separately.
package hub

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"

	"unisson.dev/platform/config"
	"unisson.dev/services/context/contextsvc"
	"unisson.dev/services/web/websvc"
)

// DefaultKnowledgeDir is the example knowledge base shipped with Unisson,
// relative to the repository root.
const DefaultKnowledgeDir = "deploy/knowledge"

// Config is the hub's configuration.
type Config struct {
	// DataDir holds the interaction log (DataDir/nats).
	DataDir string
	// NATSListen exposes the embedded NATS server on TCP; empty keeps it
	// in-process only.
	NATSListen string
	HTTPAddr   string
	GRPCAddr   string
	AdminAddr  string
	Context    contextsvc.Config
	Web        websvc.Config
}

// RegisterFlags registers every setting as a flag with an environment
// variable as its default.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	config.String(fs, &c.DataDir, "data-dir", "UNISSON_DATA_DIR", "data", "directory of the interaction log")
	config.String(fs, &c.NATSListen, "nats-listen", "UNISSON_NATS_LISTEN", "", "expose the embedded NATS server on this address (e.g. 127.0.0.1:4222); empty: in-process only")
	config.String(fs, &c.HTTPAddr, "http-addr", "UNISSON_HTTP_ADDR", "127.0.0.1:8080", "web API listen address")
	config.String(fs, &c.GRPCAddr, "grpc-addr", "UNISSON_GRPC_ADDR", "127.0.0.1:9090", "gRPC (ContextService) listen address")
	config.String(fs, &c.AdminAddr, "admin-addr", "UNISSON_ADMIN_ADDR", "127.0.0.1:9091", "admin (health, metrics, rebuild) listen address")
	c.Context.RegisterStoreFlags(fs)
	// On one machine the example knowledge base is the sensible start.
	if f := fs.Lookup("knowledge-dir"); f != nil && os.Getenv("UNISSON_KNOWLEDGE_DIR") == "" {
		f.DefValue = DefaultKnowledgeDir
		_ = f.Value.Set(DefaultKnowledgeDir)
	}
	c.Web = websvc.DefaultConfig()
	config.Int(fs, &c.Web.MaxBodyBytes, "max-body-bytes", "UNISSON_WEB_MAX_BODY_BYTES", c.Web.MaxBodyBytes, "largest accepted web request body in bytes")
}

// resolve copies the shared settings into the services' configurations.
func (c *Config) resolve() {
	c.Context.GRPCAddr, c.Context.AdminAddr, c.Context.NATSURL = c.GRPCAddr, c.AdminAddr, "in-process"
	c.Web.HTTPAddr, c.Web.AdminAddr, c.Web.ContextAddr = c.HTTPAddr, c.AdminAddr, c.GRPCAddr
	c.Web.NATSURL = "nats://in-process"
	c.Web.Stream = c.Context.Stream
}

// Validate reports every problem at once.
func (c *Config) Validate() error {
	c.resolve()
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data-dir: a directory is required"))
	}
	for name, addr := range map[string]string{"http-addr": c.HTTPAddr, "grpc-addr": c.GRPCAddr, "admin-addr": c.AdminAddr, "nats-listen": c.NATSListen} {
		if addr == "" && name == "nats-listen" {
			continue
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q must be host:port", name, addr))
		}
	}
	if err := c.Context.Validate(); err != nil {
		errs = append(errs, err)
	}
	web := c.Web
	web.AdminAddr = "127.0.0.1:1" // the hub shares one admin server
	if err := web.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// LogValue logs the configuration without secrets.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("data_dir", c.DataDir), slog.String("nats_listen", c.NATSListen),
		slog.String("http_addr", c.HTTPAddr), slog.String("grpc_addr", c.GRPCAddr), slog.String("admin_addr", c.AdminAddr),
		slog.String("redis_url", config.Redact(c.Context.RedisURL)), slog.String("stream", c.Context.Stream.Name),
	)
}
