// Command context runs Unisson's context service: it applies the interaction
// log to the citizen projections and serves them over gRPC.
//
//	context [flags]          serve
//	context rebuild [flags]  drop the projections and replay the log, then exit
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
	"unisson.dev/platform/eventlog"
	"unisson.dev/platform/logging"

	"unisson.dev/services/context/contextsvc"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "context:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	rebuild := len(args) > 0 && args[0] == "rebuild"
	if rebuild {
		args = args[1:]
	}
	fs := flag.NewFlagSet("context", flag.ContinueOnError)
	var cfg contextsvc.Config
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
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log, err := logging.New(os.Stderr, logFormat, logLevel, "context")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if rebuild {
		nc, err := eventlog.Connect(cfg.NATSURL, "unisson-context-rebuild", log)
		if err != nil {
			return err
		}
		defer nc.Close()
		return contextsvc.Rebuild(ctx, cfg, nc, log)
	}
	return contextsvc.Run(ctx, cfg, log)
}
