package featureflag

import (
	"fmt"
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in    string
		names []string
		ok    bool
	}{
		{"", nil, true},
		{"new_strategy=0.1", []string{"new_strategy"}, true},
		{"b=true, a=0", []string{"a", "b"}, true},
		{"a=1.5", nil, false},
		{"a=-0.1", nil, false},
		{"A=1", nil, false},
		{"a", nil, false},
		{"a=1,a=0", nil, false},
		{"a=NaN", nil, false},
	}
	for _, c := range cases {
		s, err := Parse(c.in)
		if (err == nil) != c.ok || (c.ok && !slices.Equal(s.Names(), c.names)) {
			t.Errorf("Parse(%q) = %v, %v", c.in, s.Names(), err)
		}
	}
}

// TestShare: a flag is on for about its share of keys, stably, and
// independently of the other flags.
func TestShare(t *testing.T) {
	s, err := Parse("ten=0.1,all=true,none=0")
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000
	ten := 0
	for i := range n {
		key := fmt.Sprintf("job_%d", i)
		on := s.For(key)
		if !slices.Contains(on, "all") || slices.Contains(on, "none") || !slices.Equal(on, s.For(key)) {
			t.Fatalf("%s: %v", key, on)
		}
		if slices.Contains(on, "ten") {
			ten++
		}
	}
	// 10% of 20000 = 2000, sd about 42: 5 sd is 212.
	if ten < 1788 || ten > 2212 {
		t.Fatalf("ten is on for %d of %d keys, want about 2000", ten, n)
	}
	if (Set{}).For("x") != nil {
		t.Fatal("the zero Set has flags")
	}
}
