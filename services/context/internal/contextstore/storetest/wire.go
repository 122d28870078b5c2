package storetest

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
)

// WireForm checks that a store returns every entry's Data byte for byte as
// it was given, through Snapshot, Timeline, After and a merge: GetContext
// and WatchContext frame the stored bytes without decoding them, so a store
// must neither re-encode nor trim them. The Data given are valid encodings
// that are not the deterministic one (fields out of order, a field this
// version does not know), and an empty one. Adapters run it beside Run.
func WireForm(t *testing.T, open func(t *testing.T) contextstore.Store) {
	t.Parallel()
	s := Fresh(t, open)
	given := map[uint64][]byte{
		1: foreignEncoding("01JQ1", "premier message, écrit ailleurs"),
		2: {},
		3: foreignEncoding("01JQ3", "B:\x00:\xff"),
		4: foreignEncoding("01JQ4", "fusion au guichet"),
	}
	change := func(seq uint64, citizen string) contextstore.Change {
		c := Change(seq, citizen)
		c.Data = given[seq]
		return c
	}
	merge := change(4, "A")
	merge.MergeFrom = []string{"B"}
	ApplyAll(t, s, batch(3, change(1, "A"), change(2, "A"), change(3, "B")), batch(4, merge))

	want := []uint64{4, 3, 2, 1}
	snap := snapshot(t, s, "A", 10)
	wantBytes(t, "Snapshot", snap.Recent, want, given)
	newest, err := s.Timeline(t.Context(), "A", 0, 10)
	if err != nil {
		t.Fatalf("Timeline: %v", err)
	}
	wantBytes(t, "Timeline", newest, want, given)
	older, err := s.Timeline(t.Context(), "A", 4, 10)
	if err != nil {
		t.Fatalf("Timeline: %v", err)
	}
	wantBytes(t, "Timeline before 4", older, want[1:], given)
	oldest, err := s.After(t.Context(), "A", 1, 10)
	if err != nil {
		t.Fatalf("After: %v", err)
	}
	wantBytes(t, "After 1", oldest, []uint64{2, 3, 4}, given)
}

func wantBytes(t *testing.T, what string, got []contextstore.Entry, seqs []uint64, given map[uint64][]byte) {
	t.Helper()
	if len(got) != len(seqs) {
		t.Fatalf("%s: %d entries, want %d", what, len(got), len(seqs))
	}
	for i, e := range got {
		if e.Seq != seqs[i] || !bytes.Equal(e.Data, given[e.Seq]) {
			t.Errorf("%s: entry %d = seq %d, %q; want seq %d, %q", what, i, e.Seq, e.Data, seqs[i], given[seqs[i]])
		}
	}
}

// foreignEncoding encodes an interaction as another writer might: text
// before kind before id, and a field unknown to this version.
func foreignEncoding(id, text string) []byte {
	field := func(name protoreflect.Name) protowire.Number {
		return (&interactionv1.Interaction{}).ProtoReflect().Descriptor().Fields().ByName(name).Number()
	}
	var b []byte
	b = protowire.AppendTag(b, 999, protowire.VarintType)
	b = protowire.AppendVarint(b, 7)
	b = protowire.AppendTag(b, field("text"), protowire.BytesType)
	b = protowire.AppendString(b, text)
	b = protowire.AppendTag(b, field("kind"), protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(interactionv1.Kind_KIND_MESSAGE))
	b = protowire.AppendTag(b, field("id"), protowire.BytesType)
	return protowire.AppendString(b, id)
}
