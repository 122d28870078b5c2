// Command web runs Unisson's web channel adapter: the JSON API through which
// citizens send messages and forms and read their context. Every setting is
// a flag with an environment variable; --help lists them.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"unisson.dev/platform/config"
	"unisson.dev/platform/logging"
	"unisson.dev/services/web/websvc"
)

func main() {
	fs := flag.NewFlagSet("web", flag.ExitOnError)
	var cfg websvc.Config
	cfg.RegisterFlags(fs)
	var logFormat, logLevel string
	config.String(fs, &logFormat, "log-format", "UNISSON_LOG_FORMAT", "json", "log format: json or text")
	config.String(fs, &logLevel, "log-level", "UNISSON_LOG_LEVEL", "info", "log level: debug, info, warn or error")
	_ = fs.Parse(os.Args[1:]) // ExitOnError: exits 2 on a bad flag, 0 on --help
	log, err := logging.New(os.Stderr, logFormat, logLevel, "web")
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "web:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = websvc.Run(ctx, cfg, log)
	stop()
	if err != nil {
		log.Error("web adapter failed", "err", err)
		os.Exit(1)
	}
}
