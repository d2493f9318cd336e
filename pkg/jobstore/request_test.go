package jobstore

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
)

// TestStoredRequestPacked: a submitted request is stored packed (the
// marker, then S2) and smaller, and reads back whole; a request stored
// before packing (plain JSON) reads as it is; a damaged packed one is an
// error, not a wrong document.
func TestStoredRequestPacked(t *testing.T) {
	ctx := context.Background()
	s, r := newStore(t)
	doc, err := os.ReadFile("../../examples/optimize-dk-nba-2025-01-12.json")
	if err != nil {
		t.Fatal(err)
	}
	j := &Job{ID: "job_p", Type: "optimize", Queue: "default", Owner: "alice", RequestID: "req", Request: doc}
	if a, err := s.Submit(ctx, j, 0); err != nil || a != Created {
		t.Fatalf("submit: %v %v", a, err)
	}
	raw, err := r.Client.Get(ctx, RequestKey("job_p")).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if raw[0] != packedMarker || len(raw) > len(doc)/3 {
		t.Fatalf("stored %d bytes starting %#x for a %d-byte document: not packed", len(raw), raw[0], len(doc))
	}
	if got, err := s.Request(ctx, "job_p"); err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("read back %d bytes (%v), want the %d-byte document", len(got), err, len(doc))
	}

	r.Client.Set(ctx, RequestKey("job_old"), `{"seed":1}`, 0)
	if got, err := s.Request(ctx, "job_old"); err != nil || string(got) != `{"seed":1}` {
		t.Fatalf("a request stored unpacked reads %q %v", got, err)
	}
	r.Client.Set(ctx, RequestKey("job_bad"), append([]byte{packedMarker}, "not s2"...), 0)
	if got, err := s.Request(ctx, "job_bad"); err == nil {
		t.Fatalf("a damaged packed request read as %q", got)
	}
}

// FuzzPackRequest: any document packs and unpacks to itself.
func FuzzPackRequest(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"players":[{"id":"a"},{"id":"a"}]}`, "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, err := unpackRequest(packRequest(doc))
		if err != nil || !bytes.Equal(got, doc) {
			t.Fatalf("%q: unpacked %q %v", doc, got, err)
		}
	})
}

// BenchmarkPackRequest packs the real slate's optimize request, as the
// gateway does on every submission.
func BenchmarkPackRequest(b *testing.B) {
	doc, err := os.ReadFile("../../examples/optimize-dk-nba-2025-01-12.json")
	if err != nil {
		b.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, doc); err != nil {
		b.Fatal(err)
	}
	doc = compact.Bytes()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(packRequest(doc))
	}
	b.ReportMetric(float64(n), "packed-bytes")
}
