package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"

	"unisson.dev/platform/eventlog"
	"unisson.dev/platform/natsembed"
	"unisson.dev/platform/redisproc"
)

// infra is the servers of a run: the NATS server that flushes before it
// acknowledges (ours or NATS_URL), a second NATS server with the NATS
// default sync for the baseline, and Redis (ours or REDIS_URL).
type infra struct {
	log     *slog.Logger
	dir     string
	ownDir  bool
	id      string
	durable *natsembed.Server // nil with NATS_URL or natsProc
	// natsProc runs the durable server out of process (Config.NATSCommand).
	natsProc *natsProcess
	natsURL  string
	// inproc serves the embedded mode when NATS_URL is set.
	inproc   *natsembed.Server
	relaxed  *server.Server
	redis    *redisproc.Proc
	redisURL string
	rc       *redis.Client
}

func startInfra(ctx context.Context, cfg Config, log *slog.Logger) (in *infra, err error) {
	in = &infra{log: log, dir: cfg.DataDir, natsURL: cfg.NATSURL, redisURL: cfg.RedisURL, id: randomID()}
	defer func() {
		if err != nil {
			in.close()
		}
	}()
	if in.dir == "" {
		if in.dir, err = os.MkdirTemp("", "unisson-bench-"); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
		in.ownDir = true
	}
	if in.natsURL == "" && cfg.NATSCommand != nil {
		if in.natsProc, err = startNATSProcess(cfg.NATSCommand(filepath.Join(in.dir, "nats-"+in.id))); err != nil {
			return nil, err
		}
		in.natsURL = in.natsProc.url
	}
	if in.natsURL == "" {
		in.durable, err = natsembed.Start(natsembed.Config{StoreDir: filepath.Join(in.dir, "nats-"+in.id), Listen: "127.0.0.1:0", ServerName: "bench-durable"})
		if err != nil {
			return nil, err
		}
		in.natsURL = in.durable.ClientURL()
	}
	if in.relaxed, err = startRelaxed(filepath.Join(in.dir, "nats-default-"+in.id)); err != nil {
		return nil, err
	}
	if cfg.Redis {
		if err := in.startRedis(ctx); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// startRelaxed starts a JetStream server with the NATS default sync (a
// flush every two minutes), for the baseline only: Unisson never runs so.
func startRelaxed(dir string) (*server.Server, error) {
	srv, err := server.NewServer(&server.Options{
		ServerName: "bench-default-sync", JetStream: true, StoreDir: dir,
		Host: "127.0.0.1", Port: server.RANDOM_PORT, NoSigs: true, NoLog: true, MaxPayload: 2 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("default-sync nats: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("default-sync nats: not ready after 10s")
	}
	return srv, nil
}

func (in *infra) startRedis(ctx context.Context) error {
	if in.redisURL == "" {
		p, err := redisproc.Start(ctx)
		if err != nil {
			return err
		}
		in.redis, in.redisURL = p, p.URL()
	}
	opts, err := redis.ParseURL(in.redisURL)
	if err != nil {
		return fmt.Errorf("redis url: %w", err)
	}
	in.rc = redis.NewClient(opts)
	return nil
}

// natsPID is the NATS server process's, 0 when it runs in-process or is
// another's.
func (in *infra) natsPID() int {
	if in.natsProc == nil {
		return 0
	}
	return in.natsProc.pid()
}

func (in *infra) redisPID() int {
	if in.redis == nil {
		return 0
	}
	return in.redis.PID()
}

// usedMemory is Redis's INFO used_memory.
func (in *infra) usedMemory(ctx context.Context) (float64, error) {
	info, err := in.rc.Info(ctx, "memory").Result()
	if err != nil {
		return 0, fmt.Errorf("redis info: %w", err)
	}
	for line := range strings.SplitSeq(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			var n float64
			_, err := fmt.Sscan(v, &n)
			return n, err
		}
	}
	return 0, errors.New("redis info: no used_memory")
}

func (in *infra) close() {
	in.forget()
	if in.rc != nil {
		_ = in.rc.Close()
	}
	if in.redis != nil {
		in.redis.Stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, s := range []*natsembed.Server{in.durable, in.inproc} {
		if s != nil {
			s.Shutdown(ctx)
		}
	}
	if in.natsProc != nil {
		in.natsProc.stop()
	}
	if in.relaxed != nil {
		in.relaxed.Shutdown()
		in.relaxed.WaitForShutdown()
	}
	if in.ownDir {
		_ = os.RemoveAll(in.dir)
	}
}

// forget deletes what the run left on servers it does not own: its
// streams on NATS_URL, its keys on REDIS_URL.
func (in *infra) forget() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if in.durable == nil && in.natsProc == nil && in.natsURL != "" {
		if nc, err := nats.Connect(in.natsURL); err == nil {
			js, _ := jetstream.New(nc)
			for _, name := range []string{"BENCH", "BENCH_SMALL", "BENCH_RAW"} {
				_ = js.DeleteStream(ctx, in.stream(name, "").Name)
			}
			nc.Close()
		}
	}
	if in.redis == nil && in.rc != nil {
		iter := in.rc.Scan(ctx, 0, "bench:"+in.id+":*", 1000).Iterator()
		for iter.Next(ctx) {
			_ = in.rc.Unlink(ctx, iter.Val()).Err()
		}
	}
}

// logConn is how one mode reaches the log: over TCP (separate services)
// or in-process (the single binary), to the durable server and to the
// default-sync one.
type logConn struct {
	transport string
	// server identifies the durable server, so a data set loaded into it
	// once serves both modes.
	server     string
	nc         *nats.Conn
	js         jetstream.JetStream
	relaxedNC  *nats.Conn
	relaxedJS  jetstream.JetStream
	mainStream eventlog.StreamConfig
	small      eventlog.StreamConfig
	raw        eventlog.StreamConfig
}

func (in *infra) connect(embedded bool) (*logConn, error) {
	c := &logConn{transport: "tcp", server: in.natsURL}
	var err error
	if !embedded {
		c.nc, err = nats.Connect(in.natsURL, nats.Name("unisson-bench"), nats.Timeout(5*time.Second))
		if err == nil {
			c.relaxedNC, err = nats.Connect(in.relaxed.ClientURL(), nats.Name("unisson-bench"))
		}
	} else {
		c.transport = "in-process"
		srv := in.durable
		if srv == nil {
			if in.inproc == nil {
				in.inproc, err = natsembed.Start(natsembed.Config{StoreDir: filepath.Join(in.dir, "nats-inproc-"+in.id), ServerName: "bench-embedded"})
				if err != nil {
					return nil, err
				}
			}
			srv, c.server = in.inproc, "in-process"
		}
		if c.nc, err = srv.Connect("unisson-bench"); err == nil {
			c.relaxedNC, err = nats.Connect("", nats.InProcessServer(in.relaxed))
		}
	}
	if err != nil {
		c.close()
		return nil, fmt.Errorf("connect to nats: %w", err)
	}
	c.js, _ = jetstream.New(c.nc)
	c.relaxedJS, _ = jetstream.New(c.relaxedNC)
	c.mainStream, c.small, c.raw = in.stream("BENCH", "interactions"), in.stream("BENCH_SMALL", "small"), in.stream("BENCH_RAW", "raw")
	return c, nil
}

// stream is the interaction stream configuration under a name of this run.
func (in *infra) stream(name, subject string) eventlog.StreamConfig {
	s := eventlog.DefaultStreamConfig()
	s.Name = name + "_" + strings.ToUpper(in.id)
	s.SubjectPrefix = "bench." + in.id + "." + subject
	return s
}

func (c *logConn) close() {
	for _, nc := range []*nats.Conn{c.nc, c.relaxedNC} {
		if nc != nil {
			_ = nc.Drain()
		}
	}
}

func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
