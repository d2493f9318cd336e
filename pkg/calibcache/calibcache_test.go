package calibcache

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/pkg/redistest"
)

func result(n int, sport string) *schema.CalibrateResult {
	return &schema.CalibrateResult{
		CalibrationID: fmt.Sprintf("cal_%032x", n),
		Sport:         sport,
		Rows:          100 + n,
		Model:         schema.CalibrationModel{Family: "exgaussian", Positions: []string{"QB"}},
		Parameters:    []schema.CalibrationParameter{{Name: "QB.bias", Mean: 1.02}},
	}
}

func newCache(t *testing.T, ttl time.Duration, max int) (*Cache, *redistest.Server) {
	t.Helper()
	r := redistest.New(t)
	if r.Mini == nil {
		t.Log("calibcache: testing against the real Redis at " + redistest.EnvURL)
	} else {
		t.Log("!!! calibcache: " + redistest.EnvURL + " is unset: falling back to miniredis (set it to a disposable real Redis)")
	}
	c := New(r.Client, ttl, max)
	// Distinct, increasing store times without sleeping.
	base := time.Now()
	n := 0
	c.now = func() time.Time { n++; return base.Add(time.Duration(n) * time.Millisecond) }
	return c, r
}

func TestPutGetLatest(t *testing.T) {
	ctx := context.Background()
	c, r := newCache(t, time.Hour, 10)
	if _, err := c.Latest(ctx, "nfl"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("latest of an empty cache: %v", err)
	}
	a, b := result(1, "nfl"), result(2, "nfl")
	for _, res := range []*schema.CalibrateResult{a, b} {
		if err := c.Put(ctx, res); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.Get(ctx, a.CalibrationID)
	if err != nil || got.CalibrationID != a.CalibrationID || got.Rows != a.Rows || got.Parameters[0].Mean != 1.02 {
		t.Fatalf("get: %+v %v", got, err)
	}
	if l, err := c.Latest(ctx, "NFL"); err != nil || l.CalibrationID != b.CalibrationID {
		t.Fatalf("latest: %+v %v", l, err)
	}
	// Re-putting a makes it the latest.
	if err := c.Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	if l, _ := c.Latest(ctx, "nfl"); l.CalibrationID != a.CalibrationID {
		t.Fatalf("latest after re-put: %s", l.CalibrationID)
	}
	if ids, _ := c.IDs(ctx, "nfl"); len(ids) != 2 || ids[0] != a.CalibrationID {
		t.Fatalf("ids: %v", ids)
	}
	for _, k := range []string{EntryKey(a.CalibrationID), EntryKey(b.CalibrationID), IndexKey("nfl"), LatestKey("nfl")} {
		if d := r.Client.TTL(ctx, k).Val(); d <= 0 || d > time.Hour {
			t.Fatalf("%s: TTL %s, want (0, 1h]", k, d)
		}
	}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	c, _ := newCache(t, time.Hour, 10)
	nfl, nba := result(1, "nfl"), result(2, "nba")
	_ = c.Put(ctx, nfl)
	_ = c.Put(ctx, nba)
	tests := []struct {
		sport, ref, want string
		err              bool
	}{
		{"nfl", "latest", nfl.CalibrationID, false},
		{"nba", "LATEST", nba.CalibrationID, false},
		{"nfl", nfl.CalibrationID, nfl.CalibrationID, false},
		{"nba", nfl.CalibrationID, "", true}, // another sport's calibration
		{"mlb", "latest", "", true},
		{"nfl", "cal_" + "ffffffffffffffffffffffffffffffff", "", true},
		{"nfl", "../../etc", "", true},
		{"nfl", "dfsopt:job:x", "", true},
	}
	for _, tt := range tests {
		got, err := c.Resolve(ctx, tt.sport, tt.ref)
		if tt.err {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("resolve %s %q: %v, want ErrNotFound", tt.sport, tt.ref, err)
			}
			continue
		}
		if err != nil || got.CalibrationID != tt.want {
			t.Errorf("resolve %s %q: %v %v", tt.sport, tt.ref, got, err)
		}
	}
}

func TestSizeBoundEvictsOldest(t *testing.T) {
	ctx := context.Background()
	c, r := newCache(t, time.Hour, 3)
	for i := 1; i <= 5; i++ {
		if err := c.Put(ctx, result(i, "nfl")); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.Put(ctx, result(9, "nba")) // other sports have their own bound
	for i := 1; i <= 5; i++ {
		_, err := c.Get(ctx, result(i, "nfl").CalibrationID)
		if evicted := i <= 2; evicted != errors.Is(err, ErrNotFound) {
			t.Errorf("entry %d: err %v, evicted should be %v", i, err, evicted)
		}
	}
	if n := r.Client.ZCard(ctx, IndexKey("nfl")).Val(); n != 3 {
		t.Fatalf("index holds %d ids, want 3", n)
	}
	if _, err := c.Get(ctx, result(9, "nba").CalibrationID); err != nil {
		t.Fatalf("nba entry: %v", err)
	}
	if l, _ := c.Latest(ctx, "nfl"); l.CalibrationID != result(5, "nfl").CalibrationID {
		t.Fatalf("latest: %s", l.CalibrationID)
	}
}

func TestExpiry(t *testing.T) {
	ctx := context.Background()
	c, r := newCache(t, time.Minute, 10)
	if err := c.Put(ctx, result(1, "nfl")); err != nil {
		t.Fatal(err)
	}
	r.FastForward(t, 2*time.Minute)
	if _, err := c.Latest(ctx, "nfl"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("latest after the TTL: %v", err)
	}
	if _, err := c.Get(ctx, result(1, "nfl").CalibrationID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get after the TTL: %v", err)
	}
}

func TestInvalidPutAndPing(t *testing.T) {
	ctx := context.Background()
	c, _ := newCache(t, time.Hour, 10)
	for _, res := range []*schema.CalibrateResult{nil, {CalibrationID: "x", Sport: "nfl"}, {CalibrationID: result(1, "").CalibrationID, Sport: "NFL:x"}} {
		if err := c.Put(ctx, res); err == nil {
			t.Errorf("put %+v: no error", res)
		}
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	down := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond}), 0, 0)
	if err := down.Ping(ctx); err == nil {
		t.Fatal("ping of an unreachable Redis succeeded")
	}
	if down.TTL() != DefaultTTL || down.MaxPerSport() != DefaultMaxPerSport {
		t.Fatalf("defaults: %s %d", down.TTL(), down.MaxPerSport())
	}
}
