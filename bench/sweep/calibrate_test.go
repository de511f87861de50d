package sweep

import (
	"testing"
	"time"
)

// TestCalibrate: the calibration measures plausible costs quickly through
// each client path, and says which it measured.
func TestCalibrate(t *testing.T) {
	for _, via := range []Via{ViaFastHTTP, ViaNetHTTP, ViaHTTP2} {
		start := time.Now()
		cal, err := Calibrate(t.Context(), 2, via)
		if err != nil {
			t.Fatalf("%s: %v", via, err)
		}
		t.Logf("%s: calibration %+v in %v", via, cal, time.Since(start))
		if cal.Via != via || cal.RoundTrip <= 0 || cal.RoundTrip > 100*time.Millisecond || cal.CPU <= 0 || cal.CPU > 100*time.Millisecond {
			t.Errorf("%s: implausible calibration %+v", via, cal)
		}
	}
}
