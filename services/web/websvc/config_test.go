package websvc_test

import (
	"bytes"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"unisson.dev/services/web/websvc"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*websvc.Config)
		want   []string // substrings of the error; none when valid
	}{
		{name: "defaults", change: func(*websvc.Config) {}},
		{name: "cluster of NATS servers", change: func(c *websvc.Config) { c.NATSURL = "nats://a:4222, nats://b:4222,c:4222" }},
		{name: "everything wrong at once", change: func(c *websvc.Config) {
			c.HTTPAddr, c.AdminAddr, c.NATSURL, c.ContextAddr = "8080", "8080", "", ""
			c.MaxBodyBytes, c.ReadTimeout, c.PublishTimeout = 10, 0, -time.Second
			c.Stream.Replicas = 2
		}, want: []string{"http address", "admin address", "must differ", "nats url", "context address",
			"max body bytes", "read timeout", "publish timeout", "replicas"}},
		{name: "NATS URL with password is not repeated", change: func(c *websvc.Config) { c.NATSURL = "nats://u:hunter2@" },
			want: []string{"nats url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := websvc.DefaultConfig()
			tt.change(&cfg)
			err := cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate accepted an invalid config")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q leaks a password", err)
			}
		})
	}
}

func TestRegisterFlagsReadsEnvironmentAndFlags(t *testing.T) {
	t.Setenv("UNISSON_WEB_HTTP_ADDR", "127.0.0.1:8888")
	t.Setenv("UNISSON_NATS_URL", "nats://nats-1:4222")
	t.Setenv("UNISSON_WEB_READ_TIMEOUT", "2s")
	fs := flag.NewFlagSet("web", flag.ContinueOnError)
	var cfg websvc.Config
	cfg.RegisterFlags(fs)
	if err := fs.Parse([]string{"--context-addr", "context:7070", "--max-body-bytes", "4096"}); err != nil {
		t.Fatalf("parse: %v", err)
	}
	want := websvc.DefaultConfig()
	want.HTTPAddr, want.NATSURL, want.ReadTimeout = "127.0.0.1:8888", "nats://nats-1:4222", 2*time.Second
	want.ContextAddr, want.MaxBodyBytes = "context:7070", 4096
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	var usage bytes.Buffer
	fs.SetOutput(&usage)
	fs.PrintDefaults()
	for _, env := range []string{"UNISSON_WEB_HTTP_ADDR", "UNISSON_WEB_ADMIN_ADDR", "UNISSON_NATS_URL", "UNISSON_CONTEXT_ADDR",
		"UNISSON_WEB_MAX_BODY_BYTES", "UNISSON_WEB_READ_TIMEOUT", "UNISSON_WEB_PUBLISH_TIMEOUT", "UNISSON_STREAM_NAME",
		"UNISSON_STREAM_SUBJECT_PREFIX", "UNISSON_STREAM_REPLICAS", "UNISSON_STREAM_DUPLICATE_WINDOW", "UNISSON_STREAM_MAX_AGE"} {
		if !strings.Contains(usage.String(), env) {
			t.Errorf("--help does not mention %s", env)
		}
	}
}
