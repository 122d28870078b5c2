package command_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"log/slog"
	"strings"
	"testing"

	"unisson.dev/platform/command"
)

func TestRun(t *testing.T) {
	var addr string
	spec := command.Spec{
		Name:     "demo",
		Register: func(fs *flag.FlagSet) { fs.StringVar(&addr, "addr", "127.0.0.1:1", "address") },
		Validate: func() error {
			if addr == "" {
				return errors.New("addr: required")
			}
			return nil
		},
	}
	ran := false
	run := func(context.Context, *slog.Logger) error { ran = true; return nil }
	tests := []struct {
		name    string
		args    []string
		wantRun bool
		check   func(error) bool
	}{
		{"runs", []string{"--addr", "x:1"}, true, func(err error) bool { return err == nil }},
		{"help", []string{"--help"}, false, func(err error) bool { return errors.Is(err, flag.ErrHelp) }},
		{"unknown flag", []string{"--nope"}, false, func(err error) bool { return errors.As(err, &command.UsageError{}) }},
		{"stray argument", []string{"extra"}, false, func(err error) bool { return errors.As(err, &command.UsageError{}) }},
		{"invalid config", []string{"--addr", ""}, false, func(err error) bool {
			return err != nil && strings.Contains(err.Error(), "addr: required")
		}},
		{"bad log level", []string{"--log-level", "loud"}, false, func(err error) bool { return err != nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran = false
			err := command.Run(spec, tt.args, &bytes.Buffer{}, run)
			if !tt.check(err) || ran != tt.wantRun {
				t.Fatalf("Run(%q) = %v, ran %v", tt.args, err, ran)
			}
		})
	}
}

func TestSub(t *testing.T) {
	sub, rest := command.Sub([]string{"rebuild", "--x"}, "rebuild")
	if sub != "rebuild" || len(rest) != 1 {
		t.Fatalf("Sub = %q %q", sub, rest)
	}
	if sub, rest := command.Sub([]string{"--x"}, "rebuild"); sub != "" || len(rest) != 1 {
		t.Fatalf("Sub without subcommand = %q %q", sub, rest)
	}
}
