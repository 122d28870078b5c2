package testenv

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Redis server for one test.
type Redis struct {
	// URL is the redis:// URL; subprocesses connect to it.
	URL string
	// Prefix is a key prefix no other test uses.
	Prefix string
	// Private is true when the test started the server and owns all of it.
	Private bool
	cmd     *exec.Cmd
}

// StartRedis returns a Redis server for t: REDIS_URL when set, otherwise a
// redis-server process on a random port that keeps nothing on disk.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	r := &Redis{Prefix: "test:" + RandomID() + ":"}
	if url := os.Getenv("REDIS_URL"); url != "" {
		r.URL = url
		t.Cleanup(func() { r.deletePrefix() })
		return r
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not installed: run `apt-get install redis-server` (or set REDIS_URL); scripts/test.sh installs it when run as root")
	}
	port := FreePort(t)
	r.cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir(), "--loglevel", "warning")
	stderr, _ := r.cmd.StdoutPipe()
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	go drain(stderr)
	t.Cleanup(func() {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	})
	r.URL = fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	r.Private = true
	r.waitReady(t)
	return r
}

// Client returns a client closed at the end of the test.
func (r *Redis) Client(t testing.TB) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(r.URL)
	if err != nil {
		t.Fatalf("parse redis url: %v", err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Flush empties what the test owns: the whole server when private, the
// test's keys otherwise. It stands for a Redis restart without persistence.
func (r *Redis) Flush(t testing.TB) {
	t.Helper()
	if r.Private {
		c := r.Client(t)
		if err := c.FlushAll(context.Background()).Err(); err != nil {
			t.Fatalf("flushall: %v", err)
		}
		return
	}
	if err := r.deletePrefix(); err != nil {
		t.Fatalf("delete test keys: %v", err)
	}
}

func (r *Redis) deletePrefix() error {
	opts, err := redis.ParseURL(r.URL)
	if err != nil {
		return err
	}
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, r.Prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		if err := c.Del(ctx, iter.Val()).Err(); err != nil {
			return err
		}
	}
	return iter.Err()
}

func (r *Redis) waitReady(t testing.TB) {
	t.Helper()
	opts, _ := redis.ParseURL(r.URL)
	c := redis.NewClient(opts)
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not answer within 10s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func drain(r interface{ Read([]byte) (int, error) }) {
	s := bufio.NewScanner(r)
	for s.Scan() {
	}
}
