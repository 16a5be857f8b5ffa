//go:build !unix

package conv

import "time"

// cpuTime is not measured here: the CPU-time rates report 0.
func cpuTime() time.Duration { return 0 }
