package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	contextv1 "unisson.dev/proto/unisson/context/v1"

	"unisson.dev/services/bench/internal/dataset"
)

// readRef picks whom a channel asks about: an active citizen, by e-mail
// address mostly, by phone number as the telephone does.
func readRef(set *dataset.Set, r *rand.Rand) *contextv1.CitizenRef {
	c := set.ActiveCitizen(r)
	if r.IntN(10) < 3 {
		return phoneRef(c)
	}
	return emailRef(c)
}

// getContextOnce reads the first page of 20 of someone's context and
// checks the response's structure (see shallowCodec).
func getContextOnce(ctx context.Context, st *stack, set *dataset.Set, r *rand.Rand) error {
	s, err := getContextSummary(ctx, st.conn, &contextv1.GetContextRequest{Citizen: readRef(set, r), TimelineLimit: 20})
	if err == nil && s.recent == 0 {
		return errors.New("empty context")
	}
	return err
}

// ingest writes n new interactions through the publisher from
// loadWriters callers while the projections run, and measures until the
// last is visible: the ingest rate of the whole write path.
func ingest(ctx context.Context, st *stack, c *logConn, set *dataset.Set, n int) (Result, error) {
	var last atomic.Uint64
	var errs atomic.Int64
	jobs := make(chan int)
	start := time.Now()
	var wg sync.WaitGroup
	for range loadWriters {
		wg.Go(func() {
			for i := range jobs {
				r := rand.New(rand.NewPCG(uint64(i), 55))
				m, err := message(c.mainStream, set.Change(r, set.ActiveCitizen(r)))
				if err != nil {
					errs.Add(1)
					continue
				}
				ack, err := st.pub.Publish(ctx, m)
				if err != nil {
					errs.Add(1)
					continue
				}
				for cur := last.Load(); ack.Seq > cur && !last.CompareAndSwap(cur, ack.Seq); cur = last.Load() {
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := st.waitApplied(ctx, last.Load(), emailRef(&set.Citizens()[0])); err != nil {
		return Result{}, err
	}
	e := int(errs.Load())
	return summarize(nil, n-e, e, time.Since(start)), nil
}

// webWrite posts citizens' messages to the web API from conc clients for
// d; an operation is a 202 carrying a consistency token.
func webWrite(ctx context.Context, st *stack, set *dataset.Set, conc int, d time.Duration) Result {
	r := rand.New(rand.NewPCG(11, 12))
	bodies := make([][]byte, 2000)
	for i := range bodies {
		bodies[i] = set.WebMessage(r, set.ActiveCitizen(r))
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 4 * conc, MaxIdleConnsPerHost: 4 * conc}}
	defer client.CloseIdleConnections()
	url := st.webURL + "/v1/messages"
	return closedLoop(ctx, conc, d, func(ctx context.Context, _ int, r *rand.Rand) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(bodies[r.IntN(len(bodies))]))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusAccepted || !bytes.Contains(body, []byte(`"consistency_token":"v1.`)) {
			return fmt.Errorf("status %d: %s", resp.StatusCode, body)
		}
		return nil
	})
}
