//go:build unix

package data

import (
	"syscall"
	"time"
)

// cpuTime is the processor time the process has used, so that a
// benchmark on a shared machine can report its speed per second of CPU as
// well as per second of wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
