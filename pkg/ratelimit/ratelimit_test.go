package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/pkg/redistest"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Limit
		ok   bool
	}{
		{"10/s", Limit{10, time.Second}, true},
		{" 60 / m ", Limit{60, time.Minute}, true},
		{"1000/h", Limit{1000, time.Hour}, true},
		{"0/s", Limit{}, false},
		{"10", Limit{}, false},
		{"10/d", Limit{}, false},
		{"-1/s", Limit{}, false},
		{"x/s", Limit{}, false},
	} {
		got, err := Parse(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("Parse(%q) = %v, %v", c.in, got, err)
		}
		if c.ok {
			if back, _ := Parse(got.String()); back != got {
				t.Errorf("String %q does not parse back", got.String())
			}
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
