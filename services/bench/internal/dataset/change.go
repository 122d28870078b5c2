package dataset

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	v1 "unisson.dev/proto/unisson/interaction/v1"
)

// Change is a new web message of c, now: what a channel writes during the
// read-your-writes and watch measurements.
func (s *Set) Change(r *rand.Rand, c *Citizen) *v1.Interaction {
	now := time.Now()
	ix := base(now, v1.Channel_CHANNEL_WEB, v1.Kind_KIND_MESSAGE, claimed(email(c)))
	ix.Topic, ix.Text = "general", Text(r, s.cfg.TextBytes)
	return ix
}

// WebMessage is the JSON body citizen c posts to POST /v1/messages, with
// the identifiers as they type them.
func (s *Set) WebMessage(r *rand.Rand, c *Citizen) []byte {
	type identifierJSON struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	}
	body := struct {
		Identifiers []identifierJSON `json:"identifiers"`
		Topic       string           `json:"topic"`
		Text        string           `json:"text"`
	}{
		Identifiers: []identifierJSON{{"email", c.TypedEmail}, {"phone", c.TypedPhone}},
		Topic:       topics[r.IntN(len(topics))].name,
		Text:        Text(r, s.cfg.TextBytes),
	}
	b, err := json.Marshal(body)
	if err != nil {
		panic(fmt.Sprintf("dataset: marshal a web message: %v", err)) // plain strings cannot fail
	}
	return b
}
