// Package redisproc runs a throwaway redis-server process for commands that
// need a Redis of their own outside tests, such as the benchmark: a random
// port on 127.0.0.1, no persistence, a temporary directory removed on Stop.
// Tests use testenv.StartRedis instead, which ties the process to a
// testing.TB.
package redisproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNotInstalled means there is no redis-server on PATH.
var ErrNotInstalled = errors.New("redis-server is not installed: apt-get install redis-server, or give a Redis URL")

// readyWait bounds how long Start waits for the first PING answer.
const readyWait = 10 * time.Second

// Proc is a running redis-server.
type Proc struct {
	cmd    *exec.Cmd
	dir    string
	port   int
	stderr *bytes.Buffer
	exited chan struct{}
	once   sync.Once
}

// Start launches redis-server on a free port of 127.0.0.1 and returns once
// it answers PING. The server keeps nothing on disk (--save "",
// --appendonly no). Stop it with Stop; ending ctx does not stop it.
func Start(ctx context.Context) (*Proc, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, ErrNotInstalled
	}
	dir, err := os.MkdirTemp("", "redisproc-")
	if err != nil {
		return nil, fmt.Errorf("redis temp dir: %w", err)
	}
	port, err := freePort()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	p := &Proc{dir: dir, port: port, stderr: &bytes.Buffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir, "--loglevel", "warning")
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p.stderr, p.stderr
	if err := p.cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	if err := p.waitReady(ctx); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// URL is the server's redis:// URL, database 0.
func (p *Proc) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", p.port) }

// PID is the server's process id, to read its CPU time or memory.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Stop kills the server, waits for it and removes its directory. It may be
// called more than once.
func (p *Proc) Stop() {
	p.once.Do(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
		_ = os.RemoveAll(p.dir)
	})
}

func (p *Proc) waitReady(ctx context.Context) error {
	c := redis.NewClient(&redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port))})
	defer c.Close()
	deadline := time.Now().Add(readyWait)
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err := c.Ping(pctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("redis-server exited: %s", bytes.TrimSpace(p.stderr.Bytes()))
		case <-ctx.Done():
			return fmt.Errorf("wait for redis-server: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server did not answer PING within %s: %w", readyWait, err)
		}
	}
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
