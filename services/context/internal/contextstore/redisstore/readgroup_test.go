package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"unisson.dev/platform/testenv"
	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/contextstore/redisstore"
	"unisson.dev/services/context/internal/contextstore/storetest"
)

// TestConcurrentSnapshotsGetTheirOwnCitizen: snapshots read at the same
// time share pipelines; each must get its own citizen's record and
// entries, whatever group it rode in.
func TestConcurrentSnapshotsGetTheirOwnCitizen(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	s := redisstore.New(r.Client(t), r.Prefix+testenv.RandomID()+":", timeout)
	ctx := t.Context()
	if err := s.Reset(ctx, storetest.Epoch); err != nil {
		t.Fatal(err)
	}
	const citizens, perCitizen = 40, 3
	var changes []contextstore.Change
	seq := uint64(0)
	for round := range perCitizen {
		for c := range citizens {
			seq++
			ch := storetest.Change(seq, fmt.Sprintf("c-%02d", c))
			ch.Interaction.Text = fmt.Sprintf("c-%02d message %d", c, round)
			changes = append(changes, ch)
		}
	}
	storetest.ApplyAll(t, s, contextstore.Batch{Epoch: storetest.Epoch, AppliedSeq: seq, Changes: changes})

	var wg sync.WaitGroup
	errs := make(chan error, citizens*8)
	for worker := range citizens * 8 {
		wg.Go(func() {
			id := fmt.Sprintf("c-%02d", worker%citizens)
			snap, err := s.Snapshot(ctx, id, 2)
			switch {
			case err != nil:
				errs <- fmt.Errorf("%s: %w", id, err)
			case snap.Citizen.ID != id || snap.InteractionCount != perCitizen || len(snap.Recent) != 2:
				errs <- fmt.Errorf("%s: got citizen %s with %d interactions, %d recent", id, snap.Citizen.ID, snap.InteractionCount, len(snap.Recent))
			default:
				ix, err := snap.Recent[0].Interaction()
				if err != nil || ix.GetText() != id+fmt.Sprintf(" message %d", perCitizen-1) {
					errs <- fmt.Errorf("%s: newest entry %q, %v", id, ix.GetText(), err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// A caller that gives up gets its context's error; the group goes on.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Snapshot(cctx, "c-00", 2); !errors.Is(err, context.Canceled) {
		t.Errorf("Snapshot with a cancelled context: error %v, want context.Canceled", err)
	}
}
