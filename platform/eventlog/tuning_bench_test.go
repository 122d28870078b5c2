package eventlog_test

import (
	"strconv"
	"testing"
	"time"

	"unisson.dev/platform/eventlog"
)

// BenchmarkPublisherTuning compares configurations against the default, the
// way its figures were chosen. "atomic2" is the publisher before single
// publishes took small batches (every batch of two or more atomic). On a
// shared machine, run each configuration in turn several times and compare
// the medians of runs taken close together:
//
//	go test -c -o /tmp/eventlog.test ./platform/eventlog
//	/tmp/eventlog.test -test.run '^$' -test.bench 'PublisherTuning/c=64/' -test.benchtime 1s
func BenchmarkPublisherTuning(b *testing.B) {
	d := eventlog.DefaultPublisherConfig()
	with := func(f func(*eventlog.PublisherConfig)) eventlog.PublisherConfig {
		c := d
		f(&c)
		return c
	}
	variants := []struct {
		name string
		cfg  eventlog.PublisherConfig
	}{
		{"default", d},
		{"atomic2", with(func(c *eventlog.PublisherConfig) { c.MinAtomicBatch = 2 })},
		{"atomic8", with(func(c *eventlog.PublisherConfig) { c.MinAtomicBatch = 8 })},
		{"atomic16", with(func(c *eventlog.PublisherConfig) { c.MinAtomicBatch = 16 })},
		{"atomic64", with(func(c *eventlog.PublisherConfig) { c.MinAtomicBatch = 64 })},
		{"linger1ms", with(func(c *eventlog.PublisherConfig) { c.Linger = time.Millisecond })},
		{"committers1-linger1ms", with(func(c *eventlog.PublisherConfig) { c.Committers, c.Linger = 1, time.Millisecond })},
		{"committers4", with(func(c *eventlog.PublisherConfig) { c.Committers = 4 })},
	}
	for _, c := range []int{1, 8, 64, 512} {
		for _, v := range variants {
			b.Run("c="+strconv.Itoa(c)+"/"+v.name, func(b *testing.B) {
				benchPublisher(b, c, v.cfg)
			})
		}
	}
}
