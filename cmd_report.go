package main

import (
	"context"
	"errors"
	"io"
)

// cmdReport is a placeholder until its issue lands.
func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("report: not implemented yet")
}
