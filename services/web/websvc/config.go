package websvc

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"unisson.dev/platform/config"
	"unisson.dev/platform/eventlog"
)

// Config is the web adapter's configuration.
type Config struct {
	// HTTPAddr is where the citizen-facing JSON API listens.
	HTTPAddr string
	// AdminAddr is where health, readiness, metrics and pprof listen.
	AdminAddr string
	// NATSURL is the NATS server, or a comma-separated list of servers.
	NATSURL string
	// ContextAddr is the gRPC target of the context service.
	ContextAddr string
	// MaxBodyBytes caps a request body.
	MaxBodyBytes int
	// ReadTimeout bounds one call to the context service. Keep it above the
	// context service's own wait for a consistency token, or reads that
	// should answer "not yet" (503) answer 504 instead.
	ReadTimeout time.Duration
	// PublishTimeout bounds one write to the interaction log.
	PublishTimeout time.Duration
	// Stream is the interaction stream the adapter publishes to.
	Stream eventlog.StreamConfig
}

// DefaultConfig is the configuration of a single machine.
func DefaultConfig() Config {
	return Config{
		HTTPAddr:       ":8080",
		AdminAddr:      ":9080",
		NATSURL:        "nats://127.0.0.1:4222",
		ContextAddr:    "127.0.0.1:9090", // the context service's default gRPC address
		MaxBodyBytes:   64 << 10,
		ReadTimeout:    5 * time.Second,
		PublishTimeout: 10 * time.Second,
		Stream:         eventlog.DefaultStreamConfig(),
	}
}

// RegisterFlags registers every setting on fs with DefaultConfig's values,
// overridden by the environment, as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	d := DefaultConfig()
	config.String(fs, &c.HTTPAddr, "http-addr", "UNISSON_WEB_HTTP_ADDR", d.HTTPAddr, "address of the JSON API")
	config.String(fs, &c.AdminAddr, "admin-addr", "UNISSON_WEB_ADMIN_ADDR", d.AdminAddr, "address of health, metrics and pprof")
	config.String(fs, &c.NATSURL, "nats-url", "UNISSON_NATS_URL", d.NATSURL, "NATS server URL(s), comma-separated")
	config.String(fs, &c.ContextAddr, "context-addr", "UNISSON_CONTEXT_ADDR", d.ContextAddr, "gRPC target of the context service")
	config.Int(fs, &c.MaxBodyBytes, "max-body-bytes", "UNISSON_WEB_MAX_BODY_BYTES", d.MaxBodyBytes, "largest accepted request body in bytes")
	config.Duration(fs, &c.ReadTimeout, "read-timeout", "UNISSON_WEB_READ_TIMEOUT", d.ReadTimeout, "deadline of one context service call")
	config.Duration(fs, &c.PublishTimeout, "publish-timeout", "UNISSON_WEB_PUBLISH_TIMEOUT", d.PublishTimeout, "deadline of one write to the interaction log")
	c.Stream.RegisterFlags(fs)
}

// Validate reports every problem of c at once, including malformed
// environment values seen by RegisterFlags.
func (c Config) Validate() error {
	errs := append([]error(nil), config.EnvErrors()...)
	errs = append(errs, checkAddr("http address", c.HTTPAddr), checkAddr("admin address", c.AdminAddr))
	if c.HTTPAddr == c.AdminAddr && !strings.HasSuffix(c.HTTPAddr, ":0") {
		errs = append(errs, errors.New("http and admin addresses must differ"))
	}
	errs = append(errs, checkNATSURL(c.NATSURL))
	if c.ContextAddr == "" || strings.ContainsAny(c.ContextAddr, " \t\n") {
		errs = append(errs, errors.New("context address must be a gRPC target such as host:port"))
	}
	if c.MaxBodyBytes < 1<<10 || c.MaxBodyBytes > 1<<20 {
		errs = append(errs, errors.New("max body bytes must be from 1 KiB to 1 MiB (the log's largest message)"))
	}
	if c.ReadTimeout <= 0 || c.ReadTimeout > time.Minute {
		errs = append(errs, errors.New("read timeout must be positive and at most one minute"))
	}
	if c.PublishTimeout <= 0 || c.PublishTimeout > time.Minute {
		errs = append(errs, errors.New("publish timeout must be positive and at most one minute"))
	}
	if err := c.Stream.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func checkAddr(what, addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%s %q must be host:port", what, addr)
	}
	return nil
}

func checkNATSURL(raw string) error {
	if raw == "" {
		return errors.New("nats url is required")
	}
	for part := range strings.SplitSeq(raw, ",") {
		part = strings.TrimSpace(part)
		if !strings.Contains(part, "://") {
			part = "nats://" + part // as the NATS client reads it
		}
		if u, err := url.Parse(part); err != nil || u.Hostname() == "" {
			// The value may hold a password: do not repeat it.
			return errors.New("nats url must be one or more URLs such as nats://host:4222, comma-separated")
		}
	}
	return nil
}

// LogValue shows the configuration in logs with credentials masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("http_addr", c.HTTPAddr), slog.String("admin_addr", c.AdminAddr),
		slog.String("nats_url", redactList(c.NATSURL)), slog.String("context_addr", c.ContextAddr),
		slog.Int("max_body_bytes", c.MaxBodyBytes), slog.Duration("read_timeout", c.ReadTimeout),
		slog.Duration("publish_timeout", c.PublishTimeout), slog.String("stream", c.Stream.Name),
		slog.String("subject_prefix", c.Stream.SubjectPrefix), slog.Int("replicas", c.Stream.Replicas),
		slog.Duration("duplicate_window", c.Stream.DuplicateWindow), slog.Duration("max_age", c.Stream.MaxAge),
	)
}

func redactList(raw string) string {
	parts := strings.Split(raw, ",")
	for i, p := range parts {
		parts[i] = config.Redact(strings.TrimSpace(p))
	}
	return strings.Join(parts, ",")
}
