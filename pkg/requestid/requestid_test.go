package requestid

import (
	"context"
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	cases := []struct {
		id   string
		want bool
	}{
		{"abc-123", true},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true},
		{"a/b:c.d_e", true},
		{"", false},
		{"has space", false},
		{"new\nline", false},
		{"<script>", false},
		{"é", false},
		{strings.Repeat("x", MaxLen), true},
		{strings.Repeat("x", MaxLen+1), false},
	}
	for _, c := range cases {
		if got := Valid(c.id); got != c.want {
			t.Errorf("Valid(%q) = %v, want %v", c.id, got, c.want)
		}
	}
}

func TestNewAndSanitize(t *testing.T) {
	a, b := New(), New()
	if a == b || len(a) != 32 || !Valid(a) {
		t.Fatalf("New: %q %q", a, b)
	}
	if Sanitize("keep-me") != "keep-me" {
		t.Fatal("sane id replaced")
	}
	if s := Sanitize("bad id"); s == "bad id" || !Valid(s) {
		t.Fatalf("insane id kept: %q", s)
	}
	if From(With(context.Background(), "x")) != "x" || From(context.Background()) != "" {
		t.Fatal("context round trip")
	}
}

func FuzzSanitize(f *testing.F) {
	f.Add("abc")
	f.Add("a b\x00c")
	f.Fuzz(func(t *testing.T, s string) {
		out := Sanitize(s)
		if !Valid(out) {
			t.Fatalf("Sanitize(%q) = %q is not valid", s, out)
		}
		if Valid(s) && out != s {
			t.Fatalf("valid %q replaced", s)
		}
	})
}
