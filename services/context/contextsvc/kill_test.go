package contextsvc_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"unisson.dev/platform/eventlog"
	contextv1 "unisson.dev/proto/unisson/context/v1"
	v1 "unisson.dev/proto/unisson/interaction/v1"
)

// TestKillWhilePublishing SIGKILLs the context binary while interactions
// pour into the log, starts it again, and checks that the Redis
// projections hold every acknowledged interaction exactly once: what the
// killed process half-applied is applied again without duplicates, and
// nothing is skipped.
func TestKillWhilePublishing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const total, workers, citizens, killAfter = 10_000, 16, 1_000, 3_000
	began := time.Now()
	bin := buildBinary(t)
	built := time.Since(began)
	e := newEnv(t, true)
	first := startProcess(t, bin, e)

	var acked atomic.Int64
	killNow := make(chan struct{})
	var killOnce sync.Once
	acks := make([]map[string]uint64, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		acks[w] = make(map[string]uint64, total/workers+1)
		wg.Go(func() {
			for i := w; i < total; i += workers {
				ix := message(v1.Channel(1+i%5), "kill "+strconv.Itoa(i), email(citizenEmail(i%citizens)))
				seq, err := e.publishSeq(ix)
				if err != nil {
					errs[w] = fmt.Errorf("publish %d: %w", i, err)
					return
				}
				acks[w][ix.GetId()] = seq
				if acked.Add(1) == killAfter {
					killOnce.Do(func() { close(killNow) })
				}
			}
		})
	}
	published := make(chan struct{})
	go func() { wg.Wait(); close(published) }()
	select {
	case <-killNow:
	case <-published:
		t.Fatalf("publishing ended before the kill: %v", errors.Join(errs...))
	case <-first.exited:
		t.Fatalf("context process exited before the kill:\n%s", first.stderr.String())
	}
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill: %v", err)
	}
	<-first.exited
	applied, err := redisStore(t, e).AppliedSeq(t.Context())
	if err != nil {
		t.Fatalf("applied seq: %v", err)
	}
	t.Logf("killed the context process after %d acknowledgements, at applied position %d", acked.Load(), applied)
	second := startProcess(t, bin, e)
	<-published
	publishedAt := time.Now()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}

	want := make(map[string]uint64, total)
	var last uint64
	for _, m := range acks {
		for id, seq := range m {
			want[id] = seq
			last = max(last, seq)
		}
	}
	if len(want) != total {
		t.Fatalf("%d distinct acknowledged interactions, want %d", len(want), total)
	}
	// The read waits until the restarted process has applied the last
	// write; any citizen's read waits alike.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = second.client.GetContext(ctx, &contextv1.GetContextRequest{
		Citizen: byEmail(citizenEmail(0)), ConsistencyToken: eventlog.Token(last).String(),
	})
	if err != nil {
		t.Fatalf("GetContext with the last token: %v", err)
	}

	caughtUp := time.Now()
	got, dups, ids := walkTimelines(t, e)
	ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	t.Logf("build %v, publish %v, then catch-up %v, walk %v", ms(built),
		ms(publishedAt.Sub(began)-built), ms(caughtUp.Sub(publishedAt)), ms(time.Since(caughtUp)))
	if len(dups) > 0 {
		t.Errorf("%d interactions appear more than once, e.g. %v", len(dups), dups[:min(5, len(dups))])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("projected (id → seq) differ from acknowledged (-want +got):\n%s", diff)
	}
	if ids != citizens {
		t.Errorf("%d citizens projected, want %d", ids, citizens)
	}
}

// walkTimelines reads every citizen's whole timeline from Redis. It
// returns interaction id → seq, the ids seen more than once and how many
// citizens there are.
func walkTimelines(t *testing.T, e *env) (map[string]uint64, []string, int) {
	t.Helper()
	store := redisStore(t, e)
	ctx := t.Context()
	got := make(map[string]uint64)
	var dups []string
	citizens := 0
	err := store.CitizenIDs(ctx, func(id string) error {
		citizens++
		var after uint64
		for {
			entries, err := store.After(ctx, id, after, 500)
			if err != nil {
				return err
			}
			for _, en := range entries {
				ix, err := en.Interaction()
				if err != nil {
					return err
				}
				ixID := ix.GetId()
				if _, ok := got[ixID]; ok {
					dups = append(dups, ixID)
				}
				got[ixID] = en.Seq
				after = en.Seq
			}
			if len(entries) < 500 {
				return nil
			}
		}
	})
	if err != nil {
		t.Fatalf("walk timelines: %v", err)
	}
	return got, dups, citizens
}

// publishSeq publishes ix through the env's publisher from any goroutine.
func (e *env) publishSeq(ix *v1.Interaction) (uint64, error) {
	data, err := proto.Marshal(ix)
	if err != nil {
		return 0, err
	}
	m := nats.NewMsg(e.nats.Stream.Subject(ix.GetChannel()))
	m.Header.Set(jetstream.MsgIDHeader, ix.GetId())
	m.Data = data
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ack, err := e.pub.Publish(ctx, m)
	if err != nil {
		return 0, err
	}
	if ack.Duplicate {
		return 0, fmt.Errorf("interaction %s acknowledged as a duplicate", ix.GetId())
	}
	return ack.Seq, nil
}
