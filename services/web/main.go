// Command web runs Unisson's web channel adapter: the JSON API through which
// citizens send messages and forms, ask questions and read their context.
// Every setting is a flag with an environment variable; --help lists them.
package main

import (
	"context"
	"log/slog"

	"unisson.dev/platform/command"
	"unisson.dev/services/web/websvc"
)

func main() {
	var cfg websvc.Config
	spec := command.Spec{Name: "web", Register: cfg.RegisterFlags, Validate: func() error { return cfg.Validate() }}
	command.Main(spec, func(ctx context.Context, log *slog.Logger) error {
		return websvc.Run(ctx, cfg, log)
	})
}
