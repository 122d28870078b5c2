// Command context runs Unisson's context service: it applies the interaction
// log to the citizen projections and serves them over gRPC.
//
//	context [flags]          serve
//	context rebuild [flags]  drop the projections and replay the log, then exit
package main

import (
	"context"
	"log/slog"
	"os"

	"unisson.dev/platform/command"
	"unisson.dev/platform/eventlog"

	"unisson.dev/services/context/contextsvc"
)

func main() {
	sub, args := command.Sub(os.Args[1:], "rebuild")
	var cfg contextsvc.Config
	spec := command.Spec{Name: "context", Register: cfg.RegisterFlags, Validate: func() error { return cfg.Validate() }}
	err := command.Run(spec, args, os.Stderr, func(ctx context.Context, log *slog.Logger) error {
		if sub == "rebuild" {
			return rebuild(ctx, cfg, log)
		}
		return contextsvc.Run(ctx, cfg, log)
	})
	command.Exit("context", err)
}

func rebuild(ctx context.Context, cfg contextsvc.Config, log *slog.Logger) error {
	nc, err := eventlog.Connect(cfg.NATSURL, "unisson-context-rebuild", log)
	if err != nil {
		return err
	}
	defer nc.Close()
	return contextsvc.Rebuild(ctx, cfg, nc, log)
}
