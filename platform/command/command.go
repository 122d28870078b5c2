// Package command gives every Unisson binary the same start: settings as
// flags with environment variables as defaults, the log flags, one
// validation of the whole configuration, a logger, and a context that ends
// on SIGINT or SIGTERM.
package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"unisson.dev/platform/config"
	"unisson.dev/platform/logging"
)

// Spec describes a binary.
type Spec struct {
	// Name is the binary's name, for --help and the "service" log field.
	Name string
	// Register adds the binary's settings to fs.
	Register func(fs *flag.FlagSet)
	// Validate checks the parsed settings and reports every problem.
	Validate func() error
}

// Run parses args, validates, builds the logger and calls run with a
// context that ends on SIGINT or SIGTERM.
func Run(spec Spec, args []string, stderr io.Writer, run func(ctx context.Context, log *slog.Logger) error) error {
	fs := flag.NewFlagSet(spec.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	spec.Register(fs)
	var logFormat, logLevel string
	config.String(fs, &logFormat, "log-format", "UNISSON_LOG_FORMAT", "text", "log format: text or json")
	config.String(fs, &logLevel, "log-level", "UNISSON_LOG_LEVEL", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return UsageError{err}
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected arguments %q", fs.Args())
		fmt.Fprintln(stderr, err)
		fs.Usage()
		return UsageError{err}
	}
	if spec.Validate != nil {
		if err := spec.Validate(); err != nil {
			return fmt.Errorf("configuration:\n%w", err)
		}
	}
	log, err := logging.New(stderr, logFormat, logLevel, spec.Name)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return run(ctx, log)
}

// Main runs a binary and exits: 0 on success or --help, 2 on a bad flag,
// 1 on any other error.
func Main(spec Spec, run func(ctx context.Context, log *slog.Logger) error) {
	err := Run(spec, os.Args[1:], os.Stderr, run)
	exit(spec.Name, err)
}

// Sub splits a leading subcommand off args when it is one of names.
func Sub(args []string, names ...string) (string, []string) {
	if len(args) > 0 {
		for _, n := range names {
			if args[0] == n {
				return n, args[1:]
			}
		}
	}
	return "", args
}

// UsageError is a bad flag or argument; the flag package has printed the
// usage already.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Exit ends the process with the code err calls for.
func Exit(name string, err error) { exit(name, err) }

func exit(name string, err error) {
	var usage UsageError
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.As(err, &usage):
		os.Exit(2) // the flag package printed the problem and the usage

	default:
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}
