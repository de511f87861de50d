package sweep

import (
	"testing"
	"time"
)

// TestCalibrate: the calibration measures plausible costs quickly.
func TestCalibrate(t *testing.T) {
	start := time.Now()
	cal, err := Calibrate(t.Context(), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("calibration %+v in %v", cal, time.Since(start))
	if cal.RoundTrip <= 0 || cal.RoundTrip > 100*time.Millisecond || cal.CPU <= 0 || cal.CPU > 100*time.Millisecond {
		t.Errorf("implausible calibration %+v", cal)
	}
}
