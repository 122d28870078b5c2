package projection_test

import (
	"testing"

	"unisson.dev/services/context/internal/projection"
	"unisson.dev/services/context/internal/projection/projectiontest"
)

// benchLog is projectiontest.Log as log messages.
func benchLog(tb testing.TB, n, citizens, splitOneIn int) []projection.Message {
	tb.Helper()
	msgs, err := projectiontest.Messages(projectiontest.Log(n, citizens, splitOneIn))
	if err != nil {
		tb.Fatal(err)
	}
	return msgs
}
