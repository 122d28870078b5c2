// Package eventlog is Unisson's interaction log on NATS JetStream: the
// stream definition, the checks a server must pass, the group-committing
// publisher and the consistency tokens it hands out.
package eventlog

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"unisson.dev/platform/config"
	"unisson.dev/platform/interaction"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

// MinServerVersion is the oldest nats-server Unisson runs on: 2.12 brought
// atomic batch publishing, which the publisher's group commit relies on to
// flush many interactions to disk with one fsync.
const MinServerVersion = "2.12.0"

// StreamConfig says how the interaction stream is set up.
type StreamConfig struct {
	// Name of the stream; "INTERACTIONS" by default.
	Name string
	// SubjectPrefix starts the subject of every interaction; the channel
	// name follows ("unisson.interactions.web"). Two deployments sharing one
	// NATS account need different prefixes.
	SubjectPrefix string
	// Replicas: 1 for a single server, 3 in a cluster.
	Replicas int
	// DuplicateWindow is how long a message id is remembered for deduplication.
	DuplicateWindow time.Duration
	// MaxAge is the retention; zero keeps interactions forever.
	MaxAge time.Duration
}

// DefaultStreamConfig is the single-server configuration.
func DefaultStreamConfig() StreamConfig {
	return StreamConfig{Name: "INTERACTIONS", SubjectPrefix: "unisson.interactions", Replicas: 1, DuplicateWindow: 10 * time.Minute}
}

// RegisterFlags registers the stream settings on fs, with environment
// variables as defaults; every service that touches the log shares them.
func (c *StreamConfig) RegisterFlags(fs *flag.FlagSet) {
	d := DefaultStreamConfig()
	config.String(fs, &c.Name, "stream-name", "UNISSON_STREAM_NAME", d.Name, "JetStream stream of interactions")
	config.String(fs, &c.SubjectPrefix, "stream-subject-prefix", "UNISSON_STREAM_SUBJECT_PREFIX", d.SubjectPrefix, "subject prefix of the interaction stream")
	config.Int(fs, &c.Replicas, "stream-replicas", "UNISSON_STREAM_REPLICAS", d.Replicas, "stream replicas: 1, or 3 in a cluster")
	config.Duration(fs, &c.DuplicateWindow, "stream-duplicate-window", "UNISSON_STREAM_DUPLICATE_WINDOW", d.DuplicateWindow, "how long message ids, hence Idempotency-Keys, are remembered")
	config.Duration(fs, &c.MaxAge, "stream-max-age", "UNISSON_STREAM_MAX_AGE", d.MaxAge, "retention of interactions; 0 keeps them forever")
}

// Subject returns the log subject of a channel.
func (c StreamConfig) Subject(ch interactionv1.Channel) string {
	return c.SubjectPrefix + "." + interaction.ChannelName(ch)
}

// JetStreamConfig is the JetStream stream configuration for c.
func (c StreamConfig) JetStreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:               c.Name,
		Description:        "Unisson interactions, the source of truth of every projection",
		Subjects:           []string{c.SubjectPrefix + ".>"},
		Storage:            jetstream.FileStorage,
		Retention:          jetstream.LimitsPolicy,
		Discard:            jetstream.DiscardOld,
		Replicas:           c.Replicas,
		Duplicates:         c.DuplicateWindow,
		MaxAge:             c.MaxAge,
		MaxMsgSize:         1 << 20,
		AllowAtomicPublish: true,
		AllowDirect:        true,
	}
}

// Validate reports every problem of c at once.
func (c StreamConfig) Validate() error {
	var errs []error
	if c.Name == "" || strings.ContainsAny(c.Name, " .*>") {
		errs = append(errs, errors.New("stream name must be a non-empty token without spaces, dots or wildcards"))
	}
	if c.SubjectPrefix == "" || strings.ContainsAny(c.SubjectPrefix, " *>") || strings.HasSuffix(c.SubjectPrefix, ".") {
		errs = append(errs, errors.New("subject prefix must be a dotted subject without wildcards"))
	}
	if c.Replicas != 1 && c.Replicas != 3 && c.Replicas != 5 {
		errs = append(errs, errors.New("stream replicas must be 1, 3 or 5"))
	}
	if c.DuplicateWindow < time.Second {
		errs = append(errs, errors.New("duplicate window must be at least one second"))
	}
	if c.MaxAge != 0 && c.MaxAge < c.DuplicateWindow {
		errs = append(errs, errors.New("retention must be zero (forever) or longer than the duplicate window"))
	}
	return errors.Join(errs...)
}

// CheckServer fails with a clear message when the connected server is older
// than MinServerVersion or has JetStream disabled.
func CheckServer(nc *nats.Conn) error {
	v := nc.ConnectedServerVersion()
	ok, err := versionAtLeast(v, MinServerVersion)
	if err != nil {
		return fmt.Errorf("check nats-server version %q: %w", v, err)
	}
	if !ok {
		return fmt.Errorf("nats-server %s is too old: Unisson needs %s or newer (atomic batch publish)", v, MinServerVersion)
	}
	return nil
}

func versionAtLeast(have, want string) (bool, error) {
	h, err := parseVersion(have)
	if err != nil {
		return false, err
	}
	w, err := parseVersion(want)
	if err != nil {
		return false, err
	}
	for i := range h {
		if h[i] != w[i] {
			return h[i] > w[i], nil
		}
	}
	return true, nil
}

func parseVersion(v string) ([3]int, error) {
	var out [3]int
	v = strings.TrimPrefix(v, "v")
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		v = v[:i]
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return out, errors.New("not a major.minor.patch version")
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, errors.New("not a major.minor.patch version")
		}
		out[i] = n
	}
	return out, nil
}

// EnsureStream checks the server and creates the stream, or updates it to
// cfg when it exists; calling it again changes nothing.
func EnsureStream(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, cfg StreamConfig) (jetstream.Stream, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("stream config: %w", err)
	}
	if err := CheckServer(nc); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := js.CreateOrUpdateStream(ctx, cfg.JetStreamConfig())
	if err != nil {
		return nil, fmt.Errorf("create or update stream %s: %w", cfg.Name, err)
	}
	return s, nil
}
