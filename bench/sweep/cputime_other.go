//go:build !unix

package sweep

import "time"

// processCPU is not known here: the harness reports 0 CPU.
func processCPU() time.Duration { return 0 }
