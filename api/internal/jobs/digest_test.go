package jobs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
	"github.com/dfsopt/dfsopt/pkg/task"
)

// exampleDocs decodes every example request (examples/) with its kind, as
// Submit does, and returns the documents by file.
func exampleDocs(t testing.TB) map[string]any {
	t.Helper()
	reg := task.Standard(job.Services{})
	kinds := map[string]string{"optimize": task.TypeOptimize, "simulate": task.TypeSimulate, "contest-sim": task.TypeContestSim,
		"ownership": task.TypeOwnership, "portfolio": task.TypePortfolio, "calibrate": task.TypeCalibrate}
	docs := map[string]any{}
	for prefix, typ := range kinds {
		files, _ := filepath.Glob(filepath.Join("..", "..", "..", "examples", prefix+"-*.json"))
		if len(files) == 0 {
			t.Fatalf("no example of %s", typ)
		}
		k, _ := reg.Lookup(typ)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			req, err := k.Decode(b)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			docs[filepath.Base(f)] = req.Doc
		}
	}
	return docs
}

// TestDigestCoversDocuments: no type a request document decodes into has
// an unexported field (which digest skips) but time.Time, whose value it
// writes whole; so the digest covers every decoded datum. Every example
// has a digest, is not taken for stored data, and gets another digest when
// one player's projection changes.
func TestDigestCoversDocuments(t *testing.T) {
	var d digester
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type, string)
	walk = func(rt reflect.Type, path string) {
		if seen[rt] {
			return
		}
		seen[rt] = true
		switch rt.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(rt.Elem(), path)
		case reflect.Map:
			walk(rt.Key(), path)
			walk(rt.Elem(), path)
		case reflect.Struct:
			if rt == timeType {
				return
			}
			for i := range rt.NumField() {
				f := rt.Field(i)
				if !f.IsExported() {
					t.Errorf("%s: %s has unexported field %s, which the cache digest skips", path, rt, f.Name)
				}
				walk(f.Type, path+"."+f.Name)
			}
		case reflect.Interface, reflect.Func, reflect.Chan:
			t.Errorf("%s: %s cannot be digested", path, rt)
		}
	}
	for name, doc := range exampleDocs(t) {
		walk(reflect.TypeOf(doc), name)
		sum, stored, err := d.digest(doc)
		if err != nil || stored || sum == ([32]byte{}) {
			t.Errorf("%s: %x %v %v", name, sum, stored, err)
		}
		if p := reflect.ValueOf(doc).Elem().FieldByName("Players"); p.IsValid() && p.Len() > 0 {
			proj := p.Index(p.Len() - 1).FieldByName("Projection")
			proj.SetFloat(proj.Float() + 0.01)
			if other, _, _ := d.digest(doc); other == sum {
				t.Errorf("%s: a changed projection kept the digest", name)
			}
		}
	}
}

// TestDigestPlayers: the walk's fast path for player lists writes what
// the reflective walk writes, for every example and for random players
// (every member set or not, lists nil, empty or full), so that a member
// added to slate.Player and not to the fast path fails here.
func TestDigestPlayers(t *testing.T) {
	fast, slow := &digester{}, &digester{reflective: true}
	same := func(name string, doc any) {
		t.Helper()
		a, _, errA := fast.digest(doc)
		b, _, errB := slow.digest(doc)
		if errA != nil || errB != nil || a != b {
			t.Fatalf("%s: fast %x (%v), reflective %x (%v)", name, a, errA, b, errB)
		}
	}
	for name, doc := range exampleDocs(t) {
		same(name, doc)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		ps := make([]slate.Player, rng.IntN(4))
		for j := range ps {
			v := reflect.ValueOf(&ps[j]).Elem()
			for k := range v.NumField() {
				if rng.IntN(3) == 0 {
					continue // left zero
				}
				switch f := v.Field(k); f.Kind() {
				case reflect.String:
					f.SetString(strconv.Itoa(rng.IntN(1000)))
				case reflect.Int:
					f.SetInt(rng.Int64N(20000) - 100)
				case reflect.Float64:
					f.SetFloat(rng.NormFloat64())
				case reflect.Bool:
					f.SetBool(true)
				case reflect.Slice:
					f.Set(reflect.ValueOf(make([]string, rng.IntN(3))))
				case reflect.Pointer:
					x := rng.Float64()
					f.Set(reflect.ValueOf(&x))
				default:
					t.Fatalf("slate.Player.%s: kind %s the test cannot fill", v.Type().Field(k).Name, f.Kind())
				}
			}
		}
		same(fmt.Sprintf("players %d", i), &schema.OptimizeRequest{Players: ps})
	}
}

// FuzzDigest: a document and its members reordered and respaced (decoded
// as JSON and written back with sorted keys) decode to one digest.
func FuzzDigest(f *testing.F) {
	for _, s := range []string{`{"site":"dk","players":[{"id":"a","projection":1.5,"positions":["PG"]}],"seed":3}`,
		`{"constraints":{"exposures":{"b":{"max":0.5},"a":{"min":0.1}},"locks":["a"]},"lineups":2}`, `{}`} {
		f.Add([]byte(s))
	}
	var d digester
	f.Fuzz(func(t *testing.T, body []byte) {
		var a schema.OptimizeRequest
		if schema.DecodeBytes(body, &a) != nil {
			return
		}
		var generic any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber() // numbers written back as they were
		if err := dec.Decode(&generic); err != nil {
			t.Fatalf("accepted but not JSON: %v", err)
		}
		re, err := json.MarshalIndent(generic, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		var b schema.OptimizeRequest
		if err := schema.DecodeBytes(re, &b); err != nil {
			t.Fatalf("%s rewritten as %s: %v", body, re, err)
		}
		da, _, errA := d.digest(&a)
		db, _, errB := d.digest(&b)
		if errA != nil || errB != nil || da != db {
			t.Fatalf("%s and %s: digests %x (%v), %x (%v)", body, re, da, errA, db, errB)
		}
	})
}

// BenchmarkDigest: the cache digest of the decoded example requests of
// the load test (tiny: 12 players) and of a real slate (the DraftKings NBA
// slate of 2025-01-12, 209 players).
func BenchmarkDigest(b *testing.B) {
	reg := task.Standard(job.Services{})
	k, _ := reg.Lookup(task.TypeOptimize)
	for _, c := range []struct{ name, file string }{
		{"tiny", filepath.Join("..", "..", "e2e", "testdata", "optimize-nba-tiny.json")},
		{"slate", filepath.Join("..", "..", "..", "examples", "optimize-dk-nba-2025-01-12.json")},
	} {
		body, err := os.ReadFile(c.file)
		if err != nil {
			b.Fatal(err)
		}
		req, err := k.Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		var d digester
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := d.digest(req.Doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
