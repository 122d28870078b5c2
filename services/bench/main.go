// Command bench measures Unisson beside the raw building blocks it is made
// of, on this machine, and prints one table (and, with --json, a JSON
// report). By default it starts its own embedded NATS servers and a
// redis-server on random ports; NATS_URL and REDIS_URL select others.
//
//	go run ./services/bench --json bench.json      the full run (about 10 minutes)
//	go run ./services/bench --quick                the smoke run (seconds)
//
// See docs/performance.md for what each figure means.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"unisson.dev/platform/logging"

	"unisson.dev/services/bench/internal/bench"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// serveNATSFlag makes the command the NATS server process of a run (see
// bench.ServeNATS); it is the bench's own, not for users.
const serveNATSFlag = "--serve-nats"

func run(args []string) error {
	if len(args) == 2 && args[0] == serveNATSFlag {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		return bench.ServeNATS(ctx, args[1], os.Stdin, os.Stdout)
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var cfg bench.Config
	var flags bench.Flags
	bench.RegisterFlags(fs, &cfg, &flags)
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	flags.Finish(fs, &cfg)
	if exe, err := os.Executable(); err == nil {
		cfg.NATSCommand = func(dir string) *exec.Cmd { return exec.Command(exe, serveNATSFlag, dir) }
	}
	log, err := logging.New(os.Stderr, "text", *logLevel, "bench")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	rep, err := bench.Run(ctx, cfg, log)
	if rep != nil {
		rep.WriteTable(os.Stdout)
		if cfg.JSONPath != "" {
			if jerr := rep.WriteJSON(cfg.JSONPath); jerr != nil {
				err = errors.Join(err, jerr)
			}
		}
	}
	return err
}
