package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dfsopt/dfsopt/pkg/redistest"
	"github.com/dfsopt/dfsopt/pkg/slatestore"
	"github.com/dfsopt/dfsopt/pkg/slatestore/redisstore"
	"github.com/dfsopt/dfsopt/pkg/slatestore/storetest"
)

// TestContract runs the slate store contract against a real redis-server
// (redistest: CI fails without one).
func TestContract(t *testing.T) {
	var srv *redistest.Server
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) slatestore.Store {
			srv = redistest.New(t)
			return redisstore.New(srv.Client)
		},
		Count: func(t *testing.T) map[string]int {
			keys, err := srv.Client.Keys(context.Background(), "dfsopt:*").Result()
			if err != nil {
				t.Fatal(err)
			}
			counts := map[string]int{"keys": len(keys)}
			for _, k := range keys {
				typ := srv.Client.Type(context.Background(), k).Val()
				switch typ {
				case "hash":
					counts["hash fields"] += int(srv.Client.HLen(context.Background(), k).Val())
				case "string":
					counts["strings"]++
				default:
					counts[typ]++
				}
				if strings.HasSuffix(k, ":outcomes") {
					counts["outcome keys"]++
				}
			}
			return counts
		},
	})
}

// TestRedisDown: a store whose Redis is gone answers ErrUnavailable.
func TestRedisDown(t *testing.T) {
	srv := redistest.New(t)
	// No retries and a short dial time-out: the failure is the point.
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: 500 * time.Millisecond})
	defer rdb.Close()
	s := redisstore.New(rdb)
	srv.Stop(t)
	ctx := context.Background()
	if err := s.Ping(ctx); !errors.Is(err, slatestore.ErrUnavailable) {
		t.Fatalf("ping: %v, want ErrUnavailable", err)
	}
	if _, err := s.Get(ctx, "sl_00000000000000000000000000000000"); !errors.Is(err, slatestore.ErrUnavailable) {
		t.Fatalf("get: %v, want ErrUnavailable", err)
	}
	if _, err := s.List(ctx, slatestore.ListOptions{}); !errors.Is(err, slatestore.ErrUnavailable) {
		t.Fatalf("list: %v, want ErrUnavailable", err)
	}
}
