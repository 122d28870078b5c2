package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"unisson.dev/platform/natsembed"
)

// The redis mode measures separate services, as deployed: its NATS server
// runs in a process of its own, so that the context service's collector
// does not mark the server's memory (the stream's duplicate-detection ids
// alone were nearly half the live objects of a redis-mode GetContext phase
// when they shared the process). The bench starts that process from its
// own binary (Config.NATSCommand); the single binary's mode keeps its
// server in-process, as the hub does.

// ServeNATS runs the flush-before-ack NATS server of a run, storing in
// dir, until stdin closes or ctx ends. It writes the server's client URL
// to out as its first line, for the bench that started it.
func ServeNATS(ctx context.Context, dir string, stdin io.Reader, out io.Writer) error {
	srv, err := natsembed.Start(natsembed.Config{StoreDir: dir, Listen: "127.0.0.1:0", ServerName: "bench-durable"})
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(out, srv.ClientURL()); err != nil {
		srv.Shutdown(context.Background())
		return fmt.Errorf("announce nats url: %w", err)
	}
	closed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		close(closed)
	}()
	select {
	case <-closed:
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	return nil
}

// natsProcess is the NATS server process of a run.
type natsProcess struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	url   string
}

// startNATSProcess starts cmd, made by Config.NATSCommand for the store
// directory, and reads the URL it announces on its first line.
func startNATSProcess(cmd *exec.Cmd) (*natsProcess, error) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("nats process: %w", err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("nats process: %w", err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("nats process: %w", err)
	}
	p := &natsProcess{cmd: cmd, stdin: stdin}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(s)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case p.url = <-line:
	case <-time.After(30 * time.Second):
	}
	if !strings.HasPrefix(p.url, "nats://") {
		p.stop()
		return nil, errors.New("nats process: no client URL within 30s")
	}
	return p, nil
}

func (p *natsProcess) pid() int { return p.cmd.Process.Pid }

// stop closes the process's stdin, which makes it shut its server down,
// and kills it if it has not exited after 30 s.
func (p *natsProcess) stop() {
	_ = p.stdin.Close()
	done := make(chan struct{})
	go func() {
		_ = p.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}
