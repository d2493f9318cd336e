package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/pkg/redistest"
)

func TestString(t *testing.T) {
	for l, want := range map[Limit]string{{10, time.Second}: "10/s", {60, time.Minute}: "60/m", {5, time.Hour}: "5/h"} {
		if l.String() != want {
			t.Errorf("%+v: %q", l, l.String())
		}
	}
}

func TestAllowBurstThenRefuse(t *testing.T) {
	r := redistest.New(t)
	l := New(r.Client)
	ctx := context.Background()
	lim := Limit{Rate: 5, Period: time.Minute}
	for i := range 5 {
		d, err := l.Allow(ctx, "submit", "p1", lim)
		if err != nil || !d.Allowed || d.Remaining != 4-i {
			t.Fatalf("request %d: %+v %v", i, d, err)
		}
	}
	d, err := l.Allow(ctx, "submit", "p1", lim)
	if err != nil || d.Allowed {
		t.Fatalf("6th request allowed: %+v %v", d, err)
	}
	// One request per 12 s comes back.
	if d.RetryAfter <= 10*time.Second || d.RetryAfter > 12*time.Second {
		t.Errorf("RetryAfter = %s, want about 12s", d.RetryAfter)
	}
	// Another principal and another class have their own budgets.
	if d, _ := l.Allow(ctx, "submit", "p2", lim); !d.Allowed {
		t.Error("p2 refused")
	}
	if d, _ := l.Allow(ctx, "read", "p1", lim); !d.Allowed {
		t.Error("read class refused")
	}
}

func TestRedisDownIsAnError(t *testing.T) {
	r := redistest.New(t)
	l := New(r.Client)
	r.Stop(t)
	if _, err := l.Allow(context.Background(), "submit", "p", Limit{Rate: 1, Period: time.Second}); err == nil {
		t.Fatal("no error with Redis down")
	}
}
