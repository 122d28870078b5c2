// Command hub runs all of Unisson in one process: an embedded NATS server
// with JetStream, the context service and the web adapter.
//
//	hub [flags]          serve
//	hub rebuild [flags]  with --redis-url: drop the Redis projections and
//	                     replay the log, then exit (stop the hub first)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"unisson.dev/platform/config"
	"unisson.dev/platform/logging"

	"unisson.dev/services/hub/internal/hub"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "unisson:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	rebuild := len(args) > 0 && args[0] == "rebuild"
	if rebuild {
		args = args[1:]
	}
	fs := flag.NewFlagSet("unisson", flag.ContinueOnError)
	var cfg hub.Config
	cfg.RegisterFlags(fs)
	var logFormat, logLevel string
	config.String(fs, &logFormat, "log-format", "UNISSON_LOG_FORMAT", "text", "log format: text or json")
	config.String(fs, &logLevel, "log-level", "UNISSON_LOG_LEVEL", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	log, err := logging.New(os.Stderr, logFormat, logLevel, "hub")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if rebuild {
		return hub.Rebuild(ctx, cfg, log)
	}
	h, err := hub.Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	a := h.Addrs()
	fmt.Printf("Unisson hub ready\n  web API   http://%s\n  gRPC      %s\n  admin     http://%s\n  data dir  %s\n", a.HTTP, a.GRPC, a.Admin, cfg.DataDir)
	if a.NATS != "" {
		fmt.Printf("  NATS      %s\n", a.NATS)
	}
	log.Info("hub ready", "config", cfg)
	err = h.Wait()
	log.Info("hub stopped")
	return err
}
