package jobs

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestCanonicalJSON: member order and spacing do not count, at any depth;
// arrays keep their order; tokens are kept as written; stored-data fields
// are found; names are compared exactly, as the decoder matches them.
func TestCanonicalJSON(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"b":1,"a":[3,{"y":true,"x":null}],"c":"s"}`, `{"a":[3,{"x":null,"y":true}],"b":1,"c":"s"}`},
		{" {\n \"b\" : 1.50 ,\t\"a\":-2e3 } ", `{"a":-2e3,"b":1.50}`},
		{`[]`, `[]`},
		{`{}`, `{}`},
		{`[ {} , [ ] ]`, `[{},[]]`},
		{`"x\"y"`, `"x\"y"`},
		{`{"b":1,"A":2}`, `{"A":2,"b":1}`}, // sorted by bytes
		{`{"a":1,"A":2}`, `{"A":2,"a":1}`}, // two names (map keys: player ids)
	}
	for _, c := range cases {
		got, stored, err := canonicalJSON([]byte(c.in))
		if err != nil || stored || string(got) != c.want {
			t.Errorf("%q: %s %v %v, want %s", c.in, got, stored, err, c.want)
		}
	}
	for _, stored := range []string{`{"slate_id":"s"}`, `{"a":[{"source":{}}]}`, `{"calibration_id":"latest"}`} {
		if _, got, err := canonicalJSON([]byte(stored)); err != nil || !got {
			t.Errorf("%s: stored data not found (%v)", stored, err)
		}
	}
	// Duplicate keys, or keys read in ways the canonical form does not
	// reproduce: not cacheable at all.
	for _, odd := range []string{`{"a":2,"a":1}`, `{"a":1,"\u0061":2}`, `{"slate\u005fid":"s"}`, `{"ſource":{}}`, `{"x":{"é":1}}`} {
		if _, _, err := canonicalJSON([]byte(odd)); err == nil {
			t.Errorf("%s: canonicalized", odd)
		}
	}
	for _, plain := range []string{`{"slate_id":null}`, `{"slates":"x"}`, `{"name":"slate_id"}`, `{"Slate_ID":"s"}`} {
		if _, got, _ := canonicalJSON([]byte(plain)); got {
			t.Errorf("%s: stored data found", plain)
		}
	}
	for _, bad := range []string{``, `{`, `{"a"}`, `{"a":1,}`, `[1 2]`, `{"a":1}x`, strings.Repeat("[", maxCanonicalDepth+2) + strings.Repeat("]", maxCanonicalDepth+2)} {
		if _, _, err := canonicalJSON([]byte(bad)); err == nil {
			t.Errorf("%.40q accepted", bad)
		}
	}
}

// TestCanonicalJSONExamples: each example request, with its members
// reordered, has the canonical form of the original, and that form decodes
// to the same document.
func TestCanonicalJSONExamples(t *testing.T) {
	files, _ := filepath.Glob("../../e2e/testdata/*.json")
	if len(files) == 0 {
		t.Fatal("no example requests")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want, _, err := canonicalJSON(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		sameDocument(t, b, want)
		// json.Marshal of the decoded document writes members sorted: a
		// different order and spacing from the file's.
		var doc any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			t.Fatal(err)
		}
		re, _ := json.MarshalIndent(doc, "", "   ")
		got, _, err := canonicalJSON(re)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: reordered document has another canonical form", filepath.Base(f))
		}
	}
}

// sameDocument fails unless a and b decode to the same value.
func sameDocument(t testing.TB, a, b []byte) {
	t.Helper()
	decode := func(x []byte) any {
		var v any
		dec := json.NewDecoder(bytes.NewReader(x))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%q: %v", x, err)
		}
		return v
	}
	if va, vb := decode(a), decode(b); !reflect.DeepEqual(va, vb) {
		t.Fatalf("canonical form decodes differently:\n%s\n%s", a, b)
	}
}

// FuzzCanonicalJSON: for any JSON document it accepts, the canonical form
// is JSON that decodes to the same value (so two documents with one form
// are one request), and canonicalizing it again changes nothing.
func FuzzCanonicalJSON(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[3,{"y":true,"x":null}]}`, `[1,"2",{"e":-0.5e-3}]`, `{"a":2,"A":1}`, `"s"`, `7`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if !json.Valid(doc) {
			return
		}
		canon, _, err := canonicalJSON(doc)
		if err != nil {
			return // refused documents are not cached; accepted ones are checked below
		}
		if !json.Valid(canon) {
			t.Fatalf("canonical form %q is not JSON", canon)
		}
		sameDocument(t, doc, canon)
		again, _, err := canonicalJSON(canon)
		if err != nil || !bytes.Equal(again, canon) {
			t.Fatalf("not idempotent: %q -> %q", canon, again)
		}
	})
}

// BenchmarkCanonicalJSON: the cache key's canonical form of the load
// test's optimize request (tiny: 2.9 kB, 12 players) and of a real one
// (slate: the DraftKings NBA slate of 2025-01-12 with its projections, 209
// players, 57 kB as written by dfsopt --emit-request).
func BenchmarkCanonicalJSON(b *testing.B) {
	for _, c := range []struct{ name, file string }{{"tiny", "optimize-nba-tiny.json"}, {"slate", "optimize-nba-2025-01-12.json"}} {
		doc, err := os.ReadFile(filepath.Join("..", "..", "e2e", "testdata", c.file))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if _, _, err := canonicalJSON(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
