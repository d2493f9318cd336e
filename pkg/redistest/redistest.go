// Package redistest provides Redis for tests: the real Redis named by
// DFSOPT_TEST_REDIS_URL when set (its database is flushed), otherwise an
// in-process miniredis.
package redistest

import (
	"context"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// EnvURL names the variable pointing tests at a real, disposable Redis.
const EnvURL = "DFSOPT_TEST_REDIS_URL"

// Server is a Redis for one test.
type Server struct {
	// Client is connected to the server; closed when the test ends.
	Client *redis.Client
	// Mini is the miniredis, or nil when a real Redis is used.
	Mini *miniredis.Miniredis
}

// New returns a clean Redis for t.
func New(t testing.TB) *Server {
	t.Helper()
	if url := lookupEnv(EnvURL); url != "" {
		opt, err := redis.ParseURL(url)
		if err != nil {
			t.Fatalf("%s: %v", EnvURL, err)
		}
		c := redis.NewClient(opt)
		if err := c.FlushDB(context.Background()).Err(); err != nil {
			t.Fatalf("%s: flush: %v", EnvURL, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return &Server{Client: c}
	}
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	return &Server{Client: c, Mini: m}
}
