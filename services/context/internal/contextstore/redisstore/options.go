package redisstore

import (
	"fmt"
	"net/url"

	"github.com/redis/go-redis/v9"
)

// ParseURL reads a redis:// or rediss:// URL into the options of the
// store's client. The client speaks RESP2 unless the URL sets protocol=3:
// the store uses nothing RESP3 adds (push notifications, client-side
// caching), and with RESP3 go-redis looks for pending push messages
// before reading each reply of a pipeline, about 4 % of the applier's CPU
// in the profiles of docs/performance.md.
func ParseURL(rawURL string) (*redis.Options, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	if !u.Query().Has("protocol") {
		opts.Protocol = 2
	}
	return opts, nil
}
