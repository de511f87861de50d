package main

import (
	"context"
	"errors"
	"io"
)

// cmdScenarios is a placeholder until its issue lands.
func cmdScenarios(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("scenarios: not implemented yet")
}
