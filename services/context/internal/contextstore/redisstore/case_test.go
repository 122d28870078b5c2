package redisstore

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	contextv1 "unisson.dev/proto/unisson/context/v1"
	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
	"unisson.dev/services/context/internal/contextstore"
)

// unmarshalCase is what decodeCase replaces: proto.Unmarshal of the body.
func unmarshalCase(v string) (contextstore.Case, bool) {
	seq, _, body, err := cutCase(v)
	if err != nil {
		return contextstore.Case{}, false
	}
	var pc contextv1.Case
	if err := proto.Unmarshal([]byte(body), &pc); err != nil {
		return contextstore.Case{}, false
	}
	return contextstore.Case{
		Reference: pc.GetReference(), Topic: pc.GetTopic(), Status: pc.GetStatus(),
		OpenedAt: pc.GetOpenedAt().AsTime(), UpdatedAt: pc.GetUpdatedAt().AsTime(), UpdatedSeq: seq,
	}, true
}

func TestDecodeCase(t *testing.T) {
	at := time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)
	tests := []struct {
		name string
		k    contextstore.Case
		seq  uint64
	}{
		{"full", contextstore.Case{Reference: "CAF-AL-2024-0000042", Topic: "housing.benefit",
			Status: interactionv1.CaseStatus_CASE_STATUS_IN_REVIEW, OpenedAt: at, UpdatedAt: at.Add(time.Hour)}, 42},
		{"zero times", contextstore.Case{Reference: "DOS-1"}, 1},
		{"before 1970", contextstore.Case{Reference: "é-1", Topic: "état.civil",
			OpenedAt: time.Date(1969, 7, 20, 20, 17, 0, 1, time.UTC), UpdatedAt: at}, 1<<64 - 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opened, rest, err := encodeCase(&tc.k, tc.seq)
			if err != nil {
				t.Fatal(err)
			}
			v := storedCase(tc.seq, opened, rest)
			got, err := decodeCase(tc.k.Reference, v)
			if err != nil {
				t.Fatalf("decodeCase: %v", err)
			}
			want := tc.k
			want.UpdatedSeq = tc.seq
			want.OpenedAt, want.UpdatedAt = want.OpenedAt.UTC(), want.UpdatedAt.UTC()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("decodeCase mismatch (-want +got):\n%s", diff)
			}
			if ref, ok := unmarshalCase(v); !ok || !cmp.Equal(ref, got) {
				t.Errorf("decodeCase = %+v, proto.Unmarshal gives %+v", got, ref)
			}
		})
	}
}

// FuzzDecodeCase: on any stored value decodeCase fails or agrees with
// proto.Unmarshal; it never panics.
func FuzzDecodeCase(f *testing.F) {
	k := contextstore.Case{Reference: "DOS-1", Topic: "housing.benefit", Status: interactionv1.CaseStatus_CASE_STATUS_CLOSED,
		OpenedAt: time.Unix(1741944413, 5).UTC(), UpdatedAt: time.Unix(1741944999, 0).UTC()}
	opened, rest, _ := encodeCase(&k, 7)
	f.Add(storedCase(7, opened, rest))
	f.Add(storedCase(1, nil, rest))
	f.Add("3:0:")
	f.Add("3:9:\x22\x03\x08\x01")
	f.Fuzz(func(t *testing.T, v string) {
		got, err := decodeCase("ref", v)
		ref, ok := unmarshalCase(v)
		if err != nil || !ok {
			return // a corrupt value may fail either way; UTF-8 is not checked
		}
		if !cmp.Equal(ref, got) {
			t.Errorf("decodeCase(%q) = %+v, proto.Unmarshal gives %+v", v, got, ref)
		}
	})
}
