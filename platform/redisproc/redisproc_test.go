package redisproc_test

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/redis/go-redis/v9"

	"unisson.dev/platform/redisproc"
)

func TestStartServesAndStopRemovesEverything(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	ctx := context.Background()
	p, err := redisproc.Start(ctx)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(p.Stop)
	opts, err := redis.ParseURL(p.URL())
	if err != nil {
		t.Fatalf("parse %s: %v", p.URL(), err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET = %q, %v; want v", got, err)
	}
	for _, param := range []string{"save", "appendonly"} {
		got, err := c.ConfigGet(ctx, param).Result()
		if err != nil {
			t.Fatalf("CONFIG GET %s: %v", param, err)
		}
		if want := map[string]string{"save": "", "appendonly": "no"}[param]; got[param] != want {
			t.Errorf("%s = %q, want %q", param, got[param], want)
		}
	}
	dir, err := c.ConfigGet(ctx, "dir").Result()
	if err != nil {
		t.Fatalf("CONFIG GET dir: %v", err)
	}
	p.Stop()
	p.Stop() // a second Stop is harmless
	if err := c.Ping(ctx).Err(); err == nil {
		t.Error("the server still answers after Stop")
	}
	if _, err := os.Stat(dir["dir"]); !os.IsNotExist(err) {
		t.Errorf("data dir %s left behind: %v", dir["dir"], err)
	}
}

func TestTwoServersGetTwoPorts(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	a, err := redisproc.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	b, err := redisproc.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	if a.URL() == b.URL() {
		t.Fatalf("both servers on %s", a.URL())
	}
}
