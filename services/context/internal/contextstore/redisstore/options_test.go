package redisstore_test

import (
	"testing"

	"unisson.dev/services/context/internal/contextstore/redisstore"
)

func TestParseURLProtocol(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want int
	}{
		{"redis://127.0.0.1:6380/0", 2},
		{"redis://127.0.0.1:6380/0?protocol=3", 3},
		{"redis://127.0.0.1:6380/0?protocol=2", 2},
		{"rediss://user:secret@example.org:6380/3", 2},
	} {
		opts, err := redisstore.ParseURL(tc.url)
		if err != nil {
			t.Fatalf("ParseURL(%q): %v", tc.url, err)
		}
		if opts.Protocol != tc.want {
			t.Errorf("ParseURL(%q).Protocol = %d, want %d", tc.url, opts.Protocol, tc.want)
		}
	}
	for _, bad := range []string{"http://127.0.0.1:6380", "redis://127.0.0.1:6380/x", "::"} {
		if _, err := redisstore.ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q) succeeded, want an error", bad)
		}
	}
}
