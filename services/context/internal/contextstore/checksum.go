package contextstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
)

// Checksum digests every projection in a canonical order, so two stores
// built from the same log (an original and a rebuild, Redis and memory)
// can be compared with one string.
func Checksum(ctx context.Context, s Store) (string, error) {
	h := sha256.New()
	applied, err := s.AppliedSeq(ctx)
	if err != nil {
		return "", fmt.Errorf("checksum: %w", err)
	}
	writeUint(h, applied)
	err = s.CitizenIDs(ctx, func(id string) error {
		snap, err := s.Snapshot(ctx, id, 0)
		if err != nil {
			return err
		}
		hashSnapshot(h, snap)
		return hashTimeline(ctx, h, s, id)
	})
	if err == nil {
		err = hashAnswers(ctx, h, s)
	}
	if err != nil {
		return "", fmt.Errorf("checksum: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashSnapshot(h hash.Hash, s Snapshot) {
	c := s.Citizen
	writeString(h, c.ID)
	writeUint(h, c.CreatedSeq)
	writeUint(h, c.Version)
	writeUint(h, uint64(c.CreatedAt.UnixNano()))
	writeUint(h, uint64(c.UpdatedAt.UnixNano()))
	writeString(h, c.MergedInto)
	for _, m := range c.Merged {
		writeString(h, m)
	}
	writeString(h, c.LedgerHead)
	writeUint(h, c.LedgerSeq)
	writeUint(h, uint64(s.InteractionCount))
	for _, l := range s.Links {
		writeString(h, l.Key)
		writeUint(h, uint64(l.Type))
		writeString(h, l.Value)
		writeUint(h, uint64(l.Assurance))
		writeUint(h, l.Seq)
	}
	for _, k := range s.Cases {
		writeString(h, k.Reference)
		writeString(h, k.Topic)
		writeUint(h, uint64(k.Status))
		writeUint(h, uint64(k.OpenedAt.UnixNano()))
		writeUint(h, uint64(k.UpdatedAt.UnixNano()))
		writeUint(h, k.UpdatedSeq)
	}
}

func hashTimeline(ctx context.Context, h hash.Hash, s Store, id string) error {
	const page = 500
	var after uint64
	for {
		entries, err := s.After(ctx, id, after, page)
		if err != nil {
			return err
		}
		for _, e := range entries {
			writeUint(h, e.Seq)
			// Decoded and encoded again, so that equal interactions stored
			// in different wire forms digest alike.
			ix, err := e.Interaction()
			if err != nil {
				return err
			}
			b, err := deterministic.Marshal(ix)
			if err != nil {
				return err
			}
			writeString(h, string(b))
			after = e.Seq
		}
		if len(entries) < page {
			return nil
		}
	}
}

// hashAnswers digests the global answer indexes: the divergences, then each
// answer's holders.
func hashAnswers(ctx context.Context, h hash.Hash, s Store) error {
	const page = 500
	var after uint64
	for {
		divs, err := s.Divergences(ctx, after, page)
		if err != nil {
			return err
		}
		for _, d := range divs {
			writeUint(h, d.Seq)
			writeString(h, d.CitizenID)
			writeString(h, d.Topic)
			writeUint(h, d.ContextVersion)
			writeString(h, d.First)
			writeString(h, d.Second)
			after = d.Seq
		}
		if len(divs) < page {
			break
		}
	}
	ids, err := s.AnswerIDs(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		writeString(h, id)
		if err := hashHolders(ctx, h, s, id); err != nil {
			return err
		}
	}
	return nil
}

func hashHolders(ctx context.Context, h hash.Hash, s Store, answerID string) error {
	const page = 500
	after := ""
	for {
		holders, err := s.AnswerHolders(ctx, answerID, 0, after, page)
		if err != nil {
			return err
		}
		for _, a := range holders {
			writeString(h, a.CitizenID)
			writeUint(h, uint64(a.Version))
			after = a.CitizenID
		}
		if len(holders) < page {
			return nil
		}
	}
}

func writeUint(h hash.Hash, v uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	h.Write(b[:])
}

func writeString(h hash.Hash, s string) {
	if len(s) > math.MaxUint32 {
		s = s[:math.MaxUint32]
	}
	writeUint(h, uint64(len(s)))
	h.Write([]byte(s))
}
