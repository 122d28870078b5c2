package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"unisson.dev/platform/testenv"
)

// hubProcess is the real hub binary running as a child process.
type hubProcess struct {
	cmd    *exec.Cmd
	web    string
	stderr *bytes.Buffer
}

func buildHub(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "unisson-hub")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startHub starts the binary and waits for its "ready" banner, which it
// prints once every listener is open.
func startHub(t *testing.T, bin, dataDir string) *hubProcess {
	t.Helper()
	web := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	cmd := exec.Command(bin, "--data-dir", dataDir, "--http-addr", web,
		"--grpc-addr", fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)),
		"--admin-addr", fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &hubProcess{cmd: cmd, web: "http://" + web, stderr: &bytes.Buffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ready := make(chan bool, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			if strings.Contains(s.Text(), "Unisson hub ready") {
				ready <- true
			}
		}
		ready <- false
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("hub exited before it was ready:\n%s", p.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("hub not ready after 30s:\n%s", p.stderr)
	}
	return p
}

// stop sends SIGTERM and expects a clean exit.
func (p *hubProcess) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("hub exited with %v:\n%s", err, p.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("hub did not stop within 30s of SIGTERM:\n%s", p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "hub stopped") {
		t.Fatalf("no graceful stop in the log:\n%s", p.stderr)
	}
}

func (p *hubProcess) getJSON(t *testing.T, path string, into any) {
	t.Helper()
	resp, err := http.Get(p.web + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatal(err)
	}
}

type contextView struct {
	CitizenID string `json:"citizen_id"`
	Recent    []struct {
		InteractionID string `json:"interaction_id"`
		Text          string `json:"text"`
	} `json:"recent"`
}

// The hub binary serves a write and a read, stops gracefully on SIGTERM,
// starts again on the same data directory and still serves the write.
func TestHubBinaryKeepsWritesAcrossRestart(t *testing.T) {
	bin := buildHub(t)
	data := t.TempDir()
	first := startHub(t, bin, data)
	resp, err := http.Post(first.web+"/v1/messages", "application/json", strings.NewReader(
		`{"identifiers":[{"type":"email","value":"paul.durand@example.fr"}],"topic":"id.card","text":"Renouvellement de ma carte"}`))
	if err != nil {
		t.Fatal(err)
	}
	var w struct {
		InteractionID    string `json:"interaction_id"`
		ConsistencyToken string `json:"consistency_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&w); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	var before contextView
	first.getJSON(t, "/v1/context?email=paul.durand@example.fr&consistency_token="+w.ConsistencyToken, &before)
	if len(before.Recent) != 1 || before.Recent[0].InteractionID != w.InteractionID {
		t.Fatalf("before restart: %+v", before)
	}
	first.stop(t)

	second := startHub(t, bin, data)
	var after contextView
	second.getJSON(t, "/v1/context?email=paul.durand@example.fr&consistency_token="+w.ConsistencyToken, &after)
	if after.CitizenID != before.CitizenID || len(after.Recent) != 1 || after.Recent[0].InteractionID != w.InteractionID {
		t.Fatalf("after restart: %+v, want %+v", after, before)
	}
	second.stop(t)
}
