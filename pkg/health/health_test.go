package health

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	rep := Run(context.Background(), map[string]Check{
		"ok":   func(context.Context) error { return nil },
		"down": func(context.Context) error { return errors.New("refused") },
		"hung": func(context.Context) error { <-block; return nil }, // ignores ctx
	}, 100*time.Millisecond)
	if rep.OK() || !slices.Equal(rep.Failing, []string{"down", "hung"}) {
		t.Fatalf("failing %v", rep.Failing)
	}
	if rep.Checks["ok"].Status != "ok" || rep.Checks["down"].Error != "refused" || rep.Checks["hung"].Error != "timed out" {
		t.Fatalf("checks %+v", rep.Checks)
	}
	if !Run(context.Background(), map[string]Check{"ok": func(context.Context) error { return nil }}, time.Second).OK() {
		t.Fatal("all ok is not OK")
	}
}
