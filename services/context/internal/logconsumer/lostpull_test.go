package logconsumer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"unisson.dev/services/context/internal/contextstore/memstore"
	"unisson.dev/services/context/internal/logconsumer"
	"unisson.dev/services/context/internal/projection"
)

// maxHeartbeat bounds the idle heartbeat the consumer's pull requests
// must ask for: a lost pull request costs two heartbeats.
const maxHeartbeat = time.Second

// TestConsumeRecoversFromLostPull: the server holds no pull request of the
// consumer while the client waits for the messages it asked for. nats.go
// gets there when it skips a re-pull while the previous request is still
// being published (see pullHeartbeat); dropping a request on its way to
// the server puts the client in the same state every time. The consumer
// must pull again within the heartbeat's bound, not after the expiry.
func TestConsumeRecoversFromLostPull(t *testing.T) {
	t.Parallel()
	n, js := startLog(t)
	last := uint64(len(publish(t, js, n.Stream, logOf(2000, 80))))
	// MaxBatch 500 pulls 1000 messages, then 501 more when 499 are left:
	// that second request is lost, and 1000 messages stay to read.
	cfg := logconsumer.Config{Stream: n.Stream, Durable: "lost-pull", MaxBatch: 500}
	d := &pullDropper{op: "PUB $JS.API.CONSUMER.MSG.NEXT." + n.Stream.Name + "." + cfg.Durable + " ", nth: 2}
	lossy, err := nats.Connect(n.URL, nats.Name(t.Name()), nats.SetCustomDialer(d))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(lossy.Close)
	ljs, err := jetstream.New(lossy)
	if err != nil {
		t.Fatal(err)
	}
	store := memstore.New()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	proj := projection.NewProjector(store, projection.NewWatermark(0), nil, nil, log)
	c := logconsumer.New(ljs, cfg, proj, store, log)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := c.Run(ctx, last); err != nil || proj.Applied() != last {
		t.Fatalf("Run: %v; applied %d, want %d", err, proj.Applied(), last)
	}
	lost := d.lostRequest()
	if lost == nil {
		t.Fatal("no pull request was lost: the test did not run the case")
	}
	// The client pulls again after two missed heartbeats; the request says
	// how long a heartbeat is. Nothing here times the recovery: the run
	// above completing shows it happens, the heartbeat bounds when.
	var req struct {
		Heartbeat time.Duration `json:"idle_heartbeat"`
	}
	if err := json.Unmarshal(lost, &req); err != nil {
		t.Fatalf("pull request %q: %v", lost, err)
	}
	if req.Heartbeat <= 0 || req.Heartbeat > maxHeartbeat {
		t.Errorf("pull requests ask for a heartbeat of %v, want at most %v: a lost one would stall the consumer for two", req.Heartbeat, maxHeartbeat)
	}
}

// pullDropper dials connections that lose the nth client operation
// starting with op, and keeps its payload.
type pullDropper struct {
	op  string
	nth int

	mu   sync.Mutex
	seen int
	lost []byte
}

func (d *pullDropper) Dial(network, address string) (net.Conn, error) {
	conn, err := (&net.Dialer{Timeout: 5 * time.Second}).Dial(network, address)
	if err != nil {
		return nil, err
	}
	return &lossyConn{Conn: conn, d: d}, nil
}

// drop reports whether the client operation starting with line, with
// payload, is lost.
func (d *pullDropper) drop(line, payload []byte) bool {
	if !bytes.HasPrefix(line, []byte(d.op)) {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seen++
	if d.seen != d.nth {
		return false
	}
	d.lost = bytes.Clone(payload)
	return true
}

func (d *pullDropper) lostRequest() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lost
}

// lossyConn passes the client's protocol operations on, except the one
// its dropper loses. The client writes under its connection lock, one
// call at a time; an operation cut across writes waits for its end.
type lossyConn struct {
	net.Conn
	d    *pullDropper
	tail []byte
}

func (c *lossyConn) Write(b []byte) (int, error) {
	buf := append(c.tail, b...)
	var out []byte
	for {
		line, payload, size := nextOp(buf)
		if size == 0 {
			break
		}
		if !c.d.drop(line, payload) {
			out = append(out, buf[:size]...)
		}
		buf = buf[size:]
	}
	c.tail = append([]byte(nil), buf...)
	if len(out) > 0 {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// nextOp returns the control line of the first client operation in buf,
// its payload, and its whole size, or a size of 0 if it is not all there.
func nextOp(buf []byte) (line, payload []byte, size int) {
	end := bytes.Index(buf, []byte("\r\n"))
	if end < 0 {
		return nil, nil, 0
	}
	line, size = buf[:end], end+2
	if bytes.HasPrefix(line, []byte("PUB ")) || bytes.HasPrefix(line, []byte("HPUB ")) {
		fields := bytes.Fields(line)
		n, err := strconv.Atoi(string(fields[len(fields)-1]))
		if err != nil {
			return line, nil, size
		}
		if len(buf) < size+n+2 {
			return nil, nil, 0
		}
		// HPUB's payload starts with its headers; pull requests have none.
		payload = buf[size : size+n]
		size += n + 2
	}
	return line, payload, size
}
