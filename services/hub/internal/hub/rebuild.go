package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"unisson.dev/platform/natsembed"
	"unisson.dev/services/context/contextsvc"
)

// Rebuild replays the hub's log into its Redis projections. The embedded
// store needs no command: it is rebuilt from the log at every start.
func Rebuild(ctx context.Context, cfg Config, log *slog.Logger) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if cfg.Context.RedisURL == "" {
		return errors.New("rebuild needs --redis-url: the embedded store is rebuilt from the log at every start")
	}
	srv, err := natsembed.Start(natsembed.Config{StoreDir: filepath.Join(cfg.DataDir, "nats")})
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	nc, err := srv.Connect("unisson-rebuild")
	if err != nil {
		return err
	}
	defer nc.Close()
	return contextsvc.Rebuild(ctx, cfg.Context, nc, log)
}
