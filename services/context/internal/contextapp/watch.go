package contextapp

import (
	"context"
	"errors"
	"fmt"

	"unisson.dev/platform/eventlog"

	"unisson.dev/services/context/internal/contextstore"
	"unisson.dev/services/context/internal/watch"
)

const catchUpPage = 200

// Change is one change sent to a watcher.
type Change struct {
	CitizenID string
	Entry     contextstore.Entry
	// ResumeToken resumes the watch right after this change.
	ResumeToken string
}

// Watch sends every change of a citizen's context to send, in log order,
// until ctx ends or send fails. With a resume token it first sends what
// was applied after that token, so a watcher that reconnects misses
// nothing; without one it starts from now.
func (a *App) Watch(ctx context.Context, ref CitizenRef, resume string, send func(Change) error) error {
	after, err := eventlog.ParseToken(resume)
	if err != nil {
		return fmt.Errorf("%w: resume_token: %v", ErrInvalid, err)
	}
	id, err := a.Resolve(ctx, ref)
	if err != nil {
		return err
	}
	// Subscribe before reading the store: a change applied in between is
	// then both in the store and in the subscription, never in neither.
	sub := a.hub.Subscribe(id)
	defer sub.Close()
	last := after.Seq()
	if resume == "" {
		last = a.watermark.Seq()
	}
	w := watcher{app: a, id: id, last: last, send: send}
	for {
		// Re-arm the lag signal before reading the store: a change dropped
		// after the last read must signal again, or it would be lost.
		sub.ResetLag()
		if err := w.catchUp(ctx); err != nil {
			return err
		}
		if err := w.follow(ctx, sub); err != errLagged {
			return err
		}
	}
}

type watcher struct {
	app  *App
	id   string
	last uint64
	send func(Change) error
}

var errLagged = errors.New("watcher lagged")

func (w *watcher) emit(e contextstore.Entry) error {
	if e.Seq <= w.last {
		return nil
	}
	if err := w.send(Change{CitizenID: w.id, Entry: e, ResumeToken: eventlog.Token(e.Seq).String()}); err != nil {
		return err
	}
	w.last = e.Seq
	return nil
}

func (w *watcher) catchUp(ctx context.Context) error {
	for {
		entries, err := w.app.store.After(ctx, w.id, w.last, catchUpPage)
		if err != nil {
			return fmt.Errorf("read timeline: %w", err)
		}
		for _, e := range entries {
			if err := w.emit(e); err != nil {
				return err
			}
		}
		if len(entries) < catchUpPage {
			return nil
		}
	}
}

// follow sends live changes until the subscription lags (errLagged), the
// hub shuts down, ctx ends or send fails.
func (w *watcher) follow(ctx context.Context, sub *watch.Subscription) error {
	for {
		select {
		case a := <-sub.C:
			if err := w.emit(a.Entry); err != nil {
				return err
			}
		case <-sub.Lagged:
			return errLagged
		case <-sub.Closed:
			return ErrShuttingDown
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
