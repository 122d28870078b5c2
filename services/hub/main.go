// Command hub runs all of Unisson in one process: an embedded NATS server
// with JetStream, the context service and the web adapter.
//
//	hub [flags]          serve
//	hub rebuild [flags]  with --redis-url: drop the Redis projections and
//	                     replay the log, then exit (stop the hub first)
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"unisson.dev/platform/command"

	"unisson.dev/services/hub/internal/hub"
)

func main() {
	sub, args := command.Sub(os.Args[1:], "rebuild")
	var cfg hub.Config
	spec := command.Spec{Name: "hub", Register: cfg.RegisterFlags, Validate: cfg.Validate}
	err := command.Run(spec, args, os.Stderr, func(ctx context.Context, log *slog.Logger) error {
		if sub == "rebuild" {
			return hub.Rebuild(ctx, cfg, log)
		}
		return serve(ctx, cfg, log)
	})
	command.Exit("unisson", err)
}

func serve(ctx context.Context, cfg hub.Config, log *slog.Logger) error {
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
