// Package redistest provides Redis for tests. In order of preference: the
// real Redis named by DFSOPT_TEST_REDIS_URL (its database is flushed); a
// real redis-server started for the test on a free loopback port when the
// binary is on PATH (CI installs Debian's redis-server); otherwise an
// in-process miniredis, with a loud warning in the test log. Under CI
// (CI=true) the fallback is an error: a test that needs Redis fails
// instead of passing on a stand-in.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// EnvURL names the variable pointing tests at a real, disposable Redis.
const EnvURL = "DFSOPT_TEST_REDIS_URL"

// EnvMode set to "mini" forces miniredis even when redis-server is installed.
const EnvMode = "DFSOPT_TEST_REDIS"

// Server is a Redis for one test.
type Server struct {
	// Client is connected to the server; closed when the test ends.
	Client *redis.Client
	// Mini is the miniredis, or nil when a real Redis is used.
	Mini *miniredis.Miniredis
	// Addr is the server's host:port.
	Addr string
	// stop kills the redis-server started for the test (nil otherwise).
	stop func()
	// bin is the redis-server binary started for the test ("" otherwise).
	bin string
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
		return &Server{Client: c, Addr: opt.Addr}
	}
	if lookupEnv(EnvMode) != "mini" {
		if bin, err := exec.LookPath("redis-server"); err == nil {
			// the free port can be taken between probing and binding: retry
			var addr string
			var stop func()
			for try := 0; try < 3; try++ {
				if addr, stop, err = startServer(t, bin); err == nil {
					break
				}
			}
			if err != nil {
				t.Fatalf("start redis-server: %v", err)
			}
			c := redis.NewClient(&redis.Options{Addr: addr})
			t.Cleanup(func() { _ = c.Close() })
			return &Server{Client: c, Addr: addr, stop: stop, bin: bin}
		}
		if lookupEnv("CI") == "true" {
			t.Fatalf("CI=true but redis-server is not installed: %s needs a real Redis (apt-get install redis-server)", t.Name())
		}
	}
	t.Logf("!!! WARNING: redis-server not installed (apt-get install redis-server): %s runs on miniredis", t.Name())
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	return &Server{Client: c, Mini: m, Addr: m.Addr()}
}

// Stop stops the server mid-test (to test what happens when Redis goes
// away). It skips the test on an external Redis (DFSOPT_TEST_REDIS_URL),
// which it cannot stop.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	switch {
	case s.Mini != nil:
		s.Mini.Close()
	case s.stop != nil:
		s.stop()
	default:
		t.Skipf("cannot stop the external Redis of %s", EnvURL)
	}
}

// Restart starts the server again on the same address after Stop (to test
// recovery). A real redis-server comes back empty (it keeps no data on
// disk); miniredis keeps its data. It skips the test on an external Redis.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	switch {
	case s.Mini != nil:
		if err := s.Mini.Restart(); err != nil {
			t.Fatalf("restart miniredis: %v", err)
		}
	case s.stop != nil:
		_, port, err := net.SplitHostPort(s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(port)
		stop, err := startServerOn(t, s.bin, n)
		if err != nil {
			t.Fatalf("restart redis-server on %s: %v", s.Addr, err)
		}
		s.stop = stop
	default:
		t.Skipf("cannot restart the external Redis of %s", EnvURL)
	}
}

// FastForward makes d pass for the keys' TTLs: miniredis advances its
// clock; a real Redis has every key's TTL shortened by d (keys with less
// left are deleted), which is what the passing of d would do to them.
func (s *Server) FastForward(t testing.TB, d time.Duration) {
	t.Helper()
	if s.Mini != nil {
		s.Mini.FastForward(d)
		return
	}
	ctx := context.Background()
	iter := s.Client.Scan(ctx, 0, "*", 1000).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		left, err := s.Client.PTTL(ctx, key).Result()
		if err != nil {
			t.Fatalf("fast forward: pttl %s: %v", key, err)
		}
		switch {
		case left < 0: // no TTL (or gone)
		case left <= d:
			err = s.Client.Del(ctx, key).Err()
		default:
			err = s.Client.PExpire(ctx, key, left-d).Err()
		}
		if err != nil {
			t.Fatalf("fast forward %s: %v", key, err)
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("fast forward: scan: %v", err)
	}
}

// startServer runs a throwaway redis-server (no persistence) on a free
// loopback port until the test ends; stop kills it earlier.
func startServer(t testing.TB, bin string) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	stop, err := startServerOn(t, bin, port)
	if err != nil {
		return "", nil, err
	}
	return fmt.Sprintf("127.0.0.1:%d", port), stop, nil
}

// startServerOn runs a redis-server on port until the test ends.
func startServerOn(t testing.TB, bin string, port int) (func(), error) {
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", t.TempDir(), "--daemonize", "no", "--loglevel", "warning")
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := c.Ping(context.Background()).Err(); err == nil {
			t.Cleanup(stop)
			return stop, nil
		} else if time.Now().After(deadline) || cmd.ProcessState != nil {
			stop()
			return nil, fmt.Errorf("redis-server on %s did not answer: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
