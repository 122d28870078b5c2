//go:build unix

package eventlog_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process has used, user and system: in the
// benchmarks it holds the embedded server's work as well as the client's.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
