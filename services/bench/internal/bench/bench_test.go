package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"unisson.dev/services/bench/internal/bench"
)

// serveNATSEnv makes the test binary a NATS server process (ServeNATS)
// storing in its value.
const serveNATSEnv = "UNISSON_BENCH_SERVE_NATS"

func TestMain(m *testing.M) {
	if dir := os.Getenv(serveNATSEnv); dir != "" {
		if err := bench.ServeNATS(context.Background(), dir, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestQuickRun runs the smoke mode of the bench command in-process, so the
// benchmark cannot rot, and checks that the JSON report holds every figure
// with positive values. It asserts no duration: figures are for
// docs/performance.md, not for pass or fail.
func TestQuickRun(t *testing.T) {
	if os.Getenv("REDIS_URL") == "" {
		if _, err := exec.LookPath("redis-server"); err != nil {
			t.Fatal("redis-server is not installed: run `apt-get install redis-server` (or set REDIS_URL)")
		}
	}
	cfg := bench.QuickConfig()
	cfg.JSONPath = filepath.Join(t.TempDir(), "bench.json")
	cfg.DataDir = t.TempDir()
	cfg.NATSURL, cfg.RedisURL = os.Getenv("NATS_URL"), os.Getenv("REDIS_URL")
	// The redis mode's NATS server runs in a process of its own, as with
	// the command: this test binary, made one by TestMain.
	cfg.NATSCommand = func(dir string) *exec.Cmd {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), serveNATSEnv+"="+dir)
		return cmd
	}
	rep, err := bench.Run(t.Context(), cfg, slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := rep.WriteJSON(cfg.JSONPath); err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	rep.WriteTable(&table)
	t.Log("\n" + table.String())

	b, err := os.ReadFile(cfg.JSONPath)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Machine struct {
			CPUs      int        `json:"cpus"`
			LoadStart [3]float64 `json:"load_start"`
		} `json:"machine"`
		Warnings []string `json:"warnings"`
		Figures  []struct {
			Key      string  `json:"key"`
			Mode     string  `json:"mode"`
			Value    float64 `json:"value"`
			Raw      string  `json:"raw"`
			RawValue float64 `json:"raw_value"`
			Verdict  string  `json:"verdict"`
		} `json:"figures"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("decode %s: %v", cfg.JSONPath, err)
	}
	if got.Machine.CPUs <= 0 {
		t.Errorf("machine: %d CPUs", got.Machine.CPUs)
	}
	for _, w := range got.Warnings {
		// A phase whose calls failed measured nothing worth reading.
		if strings.Contains(w, " errors, first: ") || strings.HasSuffix(w, " errors") {
			t.Errorf("warning: %s", w)
		}
	}
	seen := map[string]bool{}
	for _, f := range got.Figures {
		key := f.Mode + "/" + f.Key
		seen[key] = true
		if f.Value <= 0 || (f.Raw != "" && f.RawValue <= 0) || f.Verdict == "" {
			t.Errorf("%s: value %v, raw %q = %v, verdict %q; want positive values and a verdict", key, f.Value, f.Raw, f.RawValue, f.Verdict)
		}
	}
	for _, key := range wantFigures() {
		if !seen[key] {
			t.Errorf("the report lacks %s", key)
		}
	}
}

// wantFigures is every figure of a run of both modes, as mode/key.
func wantFigures() []string {
	want := []string{"tcp/raw_redis_pipeline", "tcp/raw_redis_member_bytes", "tcp/raw_redis_list", "tcp/raw_redis_element_bytes"}
	for _, transport := range []string{"tcp", "in-process"} {
		for _, what := range []string{"async", "batch500", "fetch"} {
			for _, srv := range []string{"durable", "default"} {
				want = append(want, fmt.Sprintf("%s/raw_js_%s_%s", transport, what, srv))
			}
		}
	}
	want = append(want, "tcp/raw_js_batch_web_durable", "in-process/raw_js_batch_web_durable")
	for _, mode := range []string{"redis", "embedded"} {
		for _, key := range []string{"load_publish", "apply_rate", "ingest", "memory", "web_write", "ryw_p99", "ryw_p99_trickle", "watch_p99", "watch_p99_trickle"} {
			want = append(want, mode+"/"+key)
		}
		for _, c := range []int{1, 16, 64} {
			for _, key := range []string{"getcontext_qps_c%d", "getcontext_p99_c%d", "scaling_p99_c%d",
				"raw_grpc_c%d", "raw_grpc_sized_c%d", "bound_getcontext_qps_c%d", "bound_getcontext_p99_c%d"} {
				want = append(want, mode+"/"+fmt.Sprintf(key, c))
			}
		}
	}
	return want
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
