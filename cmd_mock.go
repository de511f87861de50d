package main

import (
	"context"
	"errors"
	"io"
)

// cmdMock is a placeholder until its issue lands.
func cmdMock(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("mock: not implemented yet")
}
