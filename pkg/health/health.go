// Package health runs the named dependency checks behind the probes
// (/ready of the gateway and the worker) and reports each one's status and
// latency.
package health

import (
	"context"
	"maps"
	"slices"
	"time"
)

// Check reports whether a dependency is usable; it must honour ctx.
type Check func(ctx context.Context) error

// Result is one check's outcome.
type Result struct {
	// Status is "ok" or "fail".
	Status string `json:"status"`
	// LatencyMS is how long the check took, in milliseconds.
	LatencyMS float64 `json:"latency_ms"`
	// Error says why it failed (empty when ok). It is not encoded: an
	// unauthenticated probe must not reveal addresses; callers log it.
	Error string `json:"-"`
}

// Report is the outcome of a set of checks.
type Report struct {
	// Checks are the results by check name.
	Checks map[string]Result `json:"checks"`
	// Failing names the failed checks, sorted.
	Failing []string `json:"-"`
}

// OK reports whether every check passed.
func (r Report) OK() bool { return len(r.Failing) == 0 }

// Run runs the checks concurrently and returns within timeout: a check
// still running then (one that ignores ctx) fails as timed out.
func Run(ctx context.Context, checks map[string]Check, timeout time.Duration) Report {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type named struct {
		name string
		res  Result
	}
	results := make(chan named, len(checks)) // buffered: late checks never block
	start := time.Now()
	for name, check := range checks {
		go func() {
			t := time.Now()
			err := check(ctx)
			r := Result{Status: "ok", LatencyMS: float64(time.Since(t).Microseconds()) / 1000}
			if err != nil {
				r.Status, r.Error = "fail", err.Error()
			}
			results <- named{name, r}
		}()
	}
	rep := Report{Checks: make(map[string]Result, len(checks))}
	for range checks {
		select {
		case n := <-results:
			rep.Checks[n.name] = n.res
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	for name := range checks {
		if _, ok := rep.Checks[name]; !ok {
			rep.Checks[name] = Result{Status: "fail", LatencyMS: float64(time.Since(start).Microseconds()) / 1000, Error: "timed out"}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(rep.Checks)) {
		if rep.Checks[name].Status != "ok" {
			rep.Failing = append(rep.Failing, name)
		}
	}
	return rep
}
