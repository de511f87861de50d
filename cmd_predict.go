package main

import (
	"context"
	"errors"
	"io"
)

// cmdPredict is a placeholder until its issue lands.
func cmdPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("predict: not implemented yet")
}
