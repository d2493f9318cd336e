// Package redisconn provides the Redis connections of dfsopt: a client for a
// DFSOPT_REDIS_URL, and the embedded in-memory Redis (miniredis) of the
// development mode.
package redisconn

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// Open connects to the Redis at url and pings it.
func Open(ctx context.Context, url string) (*redis.Client, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		// The URL may hold a password: do not echo it.
		return nil, fmt.Errorf("parse redis url: invalid URL")
	}
	c := redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("ping redis at %s: %w", opt.Addr, err)
	}
	return c, nil
}

// Embedded is an in-process, in-memory Redis for development. Its state is
// lost when the process exits.
//
// miniredis never expires keys on its own: Embedded advances its clock every
// tick so that key TTLs count down in real time.
type Embedded struct {
	srv  *miniredis.Miniredis
	stop chan struct{}
	done sync.WaitGroup
}

// StartEmbedded starts an embedded Redis on a free loopback port.
func StartEmbedded() (*Embedded, error) {
	srv := miniredis.NewMiniRedis()
	if err := srv.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start embedded redis: %w", err)
	}
	e := &Embedded{srv: srv, stop: make(chan struct{})}
	e.done.Add(1)
	go e.tick(time.Second)
	return e, nil
}

func (e *Embedded) tick(every time.Duration) {
	defer e.done.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-e.stop:
			return
		case now := <-t.C:
			e.srv.FastForward(now.Sub(last))
			last = now
		}
	}
}

// Addr returns the host:port the embedded Redis listens on.
func (e *Embedded) Addr() string { return e.srv.Addr() }

// URL returns a redis:// URL of the embedded Redis.
func (e *Embedded) URL() string { return "redis://" + e.srv.Addr() + "/0" }

// Close stops the embedded Redis.
func (e *Embedded) Close() {
	close(e.stop)
	e.done.Wait()
	e.srv.Close()
}

// RouteLogs sends the go-redis client's own messages (dial failures, pool
// trouble) to log as warnings, instead of its default plain-text logger on
// stderr. go-redis keeps one process-wide logger: call this once, in main.
func RouteLogs(log *zap.Logger) {
	redis.SetLogger(redisLogger{log.With(zap.String("component", "go-redis"))})
}

type redisLogger struct{ l *zap.Logger }

// Printf logs one go-redis message.
func (r redisLogger) Printf(_ context.Context, format string, v ...any) {
	r.l.Warn(fmt.Sprintf(format, v...))
}
