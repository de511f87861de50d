//go:build !linux

package mocksrv

import (
	"context"
	"time"
)

// preciseWait waits until at or ctx is done, reporting whether at was
// reached. Outside Linux it is a plain Go timer; the lateness compensation
// of timing applies.
func preciseWait(ctx context.Context, at time.Time) bool { return timerWait(ctx, at) }
