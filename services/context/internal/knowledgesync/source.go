// Package knowledgesync keeps every context service on the same knowledge
// base. An accepted base is published as a bundle in a JetStream key-value
// bucket; every service watches the bucket and switches to the version it
// holds. A base with problems is refused whole and the current one stays.
package knowledgesync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"unisson.dev/services/context/internal/knowledge"
)

// Bucket is the key-value bucket holding the published knowledge base.
const Bucket = "UNISSON_KNOWLEDGE"

const key = "current"

// bundle is a knowledge base as published: its files, so every service
// loads exactly what was validated.
type bundle struct {
	Version string            `json:"version"`
	Files   map[string][]byte `json:"files"`
}

// Source holds the knowledge base in force.
type Source struct {
	dir     string
	kv      jetstream.KeyValue
	log     *slog.Logger
	current atomic.Pointer[knowledge.Base]

	mu       sync.Mutex
	problems error
	stamp    string
}

// Open creates or binds the bucket and loads the published base, if any.
// dir is where authors edit the base; "" means this service only follows
// what others publish.
func Open(ctx context.Context, js jetstream.JetStream, replicas int, dir string, log *slog.Logger) (*Source, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: Bucket, Description: "published knowledge bases", History: 16,
		Storage: jetstream.FileStorage, Replicas: replicas, MaxValueSize: 1 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("knowledge bucket: %w", err)
	}
	s := &Source{dir: dir, kv: kv, log: log}
	entry, err := kv.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
	case err != nil:
		return nil, fmt.Errorf("read published knowledge base: %w", err)
	default:
		s.adopt(entry.Value())
	}
	if dir != "" {
		s.stamp = dirStamp(dir)
		if _, err := s.Reload(ctx); err != nil {
			log.Warn("knowledge base refused at start; the published one, if any, stays in force", "err", err)
		}
	}
	return s, nil
}

// Current is the base in force, nil when none was ever accepted.
func (s *Source) Current() *knowledge.Base { return s.current.Load() }

// Problems returns why the last reload was refused, nil if it was not.
func (s *Source) Problems() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.problems
}

// Reload loads the base from the directory; when it is valid and new, it
// publishes it to every service. On problems the current base stays and
// the problems are returned (a *knowledge.LoadError lists them by file and
// line).
func (s *Source) Reload(ctx context.Context) (string, error) {
	if s.dir == "" {
		return "", errors.New("no knowledge directory configured")
	}
	base, err := knowledge.LoadDir(s.dir)
	s.mu.Lock()
	s.problems = err
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	if cur := s.Current(); cur != nil && cur.Version() == base.Version() {
		return base.Version(), nil
	}
	data, err := json.Marshal(bundle{Version: base.Version(), Files: base.Files()})
	if err != nil {
		return "", fmt.Errorf("encode knowledge bundle: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := s.kv.Put(pctx, key, data); err != nil {
		return "", fmt.Errorf("publish knowledge base: %w", err)
	}
	s.current.Store(base)
	s.log.Info("knowledge base published", "version", base.Version(), "answers", len(base.Answers()))
	return base.Version(), nil
}

// adopt switches to a published bundle.
func (s *Source) adopt(data []byte) {
	var b bundle
	if err := json.Unmarshal(data, &b); err != nil {
		s.log.Error("unreadable knowledge bundle ignored", "err", err)
		return
	}
	if cur := s.Current(); cur != nil && cur.Version() == b.Version {
		return
	}
	base, err := knowledge.Parse(b.Files)
	if err != nil {
		s.log.Error("published knowledge base refused", "version", b.Version, "err", err)
		return
	}
	s.current.Store(base)
	s.log.Info("knowledge base in force", "version", base.Version())
}

// Run follows the bucket and, with a directory, reloads when its files
// change, until ctx ends.
func (s *Source) Run(ctx context.Context) error {
	// The watch starts with the value in force, so a base published between
	// Open and now is not missed; adopting the same version twice is a no-op.
	w, err := s.kv.Watch(ctx, key)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("watch knowledge bucket: %w", err)
	}
	defer func() { _ = w.Stop() }()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				return nil
			}
			if e != nil && e.Operation() == jetstream.KeyValuePut {
				s.adopt(e.Value())
			}
		case <-tick.C:
			s.reloadIfChanged(ctx)
		}
	}
}

// reloadIfChanged reloads when the directory's files changed since the last
// look (Open took the first look and loaded them).
func (s *Source) reloadIfChanged(ctx context.Context) {
	if s.dir == "" {
		return
	}
	stamp := dirStamp(s.dir)
	s.mu.Lock()
	same := stamp == s.stamp
	s.stamp = stamp
	s.mu.Unlock()
	if same {
		return
	}
	if _, err := s.Reload(ctx); err != nil {
		s.log.Warn("knowledge base refused; the previous one stays in force", "err", err)
	}
}

// dirStamp summarises the names, sizes and times of the directory's files.
func dirStamp(dir string) string {
	entries, _ := os.ReadDir(dir)
	parts := make([]string, 0, len(entries))
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s|%d|%d", filepath.Join(dir, e.Name()), info.Size(), info.ModTime().UnixNano()))
	}
	sort.Strings(parts)
	return fmt.Sprint(parts)
}
