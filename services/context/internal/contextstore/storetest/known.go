package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"unisson.dev/services/context/internal/contextstore"
)

// testKnownOwners: a batch that carries the index as the caller looked it
// up (Batch.Owners) leaves the store as the same batch without it, merges
// included, and so does its redelivery.
func testKnownOwners(t *testing.T, open func(t *testing.T) contextstore.Store) {
	plain, given := Fresh(t, open), Fresh(t, open)
	// After History, A absorbs C, then links C's identity at a lower
	// assurance than the one the merge moved: the owners known before
	// the batch (C's) no longer hold after the merge, and taking them
	// would lower the index entry.
	history := append(History(Epoch), batch(11,
		mergeChange(10, "A", "C"),
		withLinks(Change(11, "A"), link(keyIDP, claimed, 11)),
	))
	var keys []string
	for _, b := range history {
		for _, c := range b.Changes {
			for _, l := range c.Links {
				keys = append(keys, l.Key)
			}
		}
	}
	for _, round := range []string{"applied", "applied again"} {
		for _, b := range history {
			ApplyAll(t, plain, b)
			found := lookup(t, given, keys...)
			b.Owners = make(map[string]contextstore.Owner, len(keys))
			for _, k := range keys {
				b.Owners[k] = found[k]
			}
			ApplyAll(t, given, b)
		}
		if diff := cmp.Diff(Snapshots(t, plain), Snapshots(t, given), Opts); diff != "" {
			t.Errorf("%s: snapshots differ (-without owners +with):\n%s", round, diff)
		}
		if diff := cmp.Diff(lookup(t, plain, keys...), lookup(t, given, keys...)); diff != "" {
			t.Errorf("%s: index differs (-without owners +with):\n%s", round, diff)
		}
		if diff := cmp.Diff(Answers(t, plain), Answers(t, given), Opts); diff != "" {
			t.Errorf("%s: answers differ (-without owners +with):\n%s", round, diff)
		}
	}
}
