package model

import (
	"testing"

	"go.uber.org/goleak"
)

// Range runs simulations on goroutines of its own.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
