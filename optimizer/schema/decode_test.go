package schema_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// TestDecodeErrors: every way a document can fail to decode is a
// *ValidationError naming the field as validation names it, with the
// reason and a message of our own.
func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, doc     string
		into          func() any
		field, reason string
		msg           string
	}{
		{"empty", " \n", optimize, "", schema.ReasonRequired, "empty"},
		{"truncated", `{"site":"draftkings"`, optimize, "", schema.ReasonSyntax, "truncated"},
		{"trailing data", `{"site":"draftkings"} x`, optimize, "", schema.ReasonSyntax, "invalid JSON at byte"},
		{"bad token", `{"site":draftkings}`, optimize, "site", schema.ReasonSyntax, "invalid JSON at byte 8"},
		{"invalid UTF-8", "{\"site\":\"dr\xffaft\"}", optimize, "site", schema.ReasonSyntax, "UTF-8"},
		{"names match exactly", `{"Site":"draftkings"}`, optimize, "Site", schema.ReasonUnknown, `"Site"`},
		{"unknown nested", `{"players":[{"id":"p1"},{"id":"p2","bogus":1}]}`, optimize, "players[1].bogus", schema.ReasonUnknown, `"bogus"`},
		{"duplicate", `{"site":"draftkings","site":"fanduel"}`, optimize, "site", schema.ReasonSyntax, "twice"},
		{"string for integer", `{"players":[{"id":"p1","salary":"9000"}]}`, optimize, "players[0].salary", schema.ReasonType, "an integer, not a string"},
		{"fraction for integer", `{"lineups":1.5}`, optimize, "lineups", schema.ReasonType, "an integer, not the number 1.5"},
		{"integer out of range", `{"lineups":99999999999999999999}`, optimize, "lineups", schema.ReasonOutOfRange, "99999999999999999999"},
		{"map member", `{"constraints":{"exposures":{"p1":{"max":"x"}}}}`, optimize, "constraints.exposures.p1.max", schema.ReasonType, "a number"},
		{"numeric map key", `{"constraints":{"exposures":{"39509405":{"min":true}}}}`, optimize, "constraints.exposures.39509405.min", schema.ReasonType, "not a boolean"},
		{"embedded options", `{"priority":5}`, optimize, "priority", schema.ReasonType, "a string, not a number"},
		{"object for array", `{"players":{}}`, optimize, "players", schema.ReasonType, "an array, not an object"},
		{"through UnmarshalJSON", `{"players":[{"id":"p1","salary":"x"}]}`, simulate, "players[0].salary", schema.ReasonType, "an integer"},
		{"unknown through UnmarshalJSON", `{"sims":10,"nope":1}`, simulate, "nope", schema.ReasonUnknown, `"nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := schema.DecodeBytes([]byte(tc.doc), tc.into())
			var ve *schema.ValidationError
			if !errors.As(err, &ve) || len(ve.Errors) != 1 {
				t.Fatalf("got %v (%T), want one field error", err, err)
			}
			fe := ve.Errors[0]
			if fe.Field != tc.field || fe.Reason != tc.reason || !strings.Contains(fe.Message, tc.msg) {
				t.Fatalf("got %q %s %q, want %q %s containing %q", fe.Field, fe.Reason, fe.Message, tc.field, tc.reason, tc.msg)
			}
		})
	}
}

func optimize() any { return new(schema.OptimizeRequest) }
func simulate() any { return new(schema.SimulateRequest) }

// BenchmarkDecodeOptimize decodes the optimize request the load test
// submits (12 players, 2.9 kB), as the gateway does on every submit.
func BenchmarkDecodeOptimize(b *testing.B) {
	doc, err := os.ReadFile("../../api/e2e/testdata/optimize-nba-tiny.json")
	if err != nil {
		b.Fatal(err)
	}
	benchmarkDecode(b, doc)
}

// benchmarkDecode decodes the optimize request doc b.N times.
func benchmarkDecode(b *testing.B, doc []byte) {
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		var r schema.OptimizeRequest
		if err := schema.DecodeBytes(doc, &r); err != nil {
			b.Fatal(err)
		}
	}
}

// requestTypes makes a fresh document of each request type.
var requestTypes = []func() any{
	optimize, simulate,
	func() any { return new(schema.ContestSimRequest) },
	func() any { return new(schema.OwnershipRequest) },
	func() any { return new(schema.PortfolioRequest) },
	func() any { return new(schema.CalibrateRequest) },
}

// FuzzDecodeBytes: any input decodes or is refused with a
// *ValidationError (never a panic, never another error), and a document
// DecodeBytes accepts, encoding/json (the decoder it replaced, unknown
// fields refused) accepts too and reads as the same value: the stricter
// decoder changed what is refused, not what an accepted document means.
func FuzzDecodeBytes(f *testing.F) {
	files, _ := filepath.Glob("../../api/e2e/testdata/*.json")
	for _, file := range files {
		doc, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for k := range requestTypes {
			f.Add(uint8(k), doc)
		}
	}
	for _, s := range []string{`{}`, `{"lineups":3,"site":"dk"}`, `{"players":[{"id":"a","stddev":0}]}`, `{"Site":"x"}`, `{"a":1,"a":2}`, `null`, `[]`} {
		f.Add(uint8(0), []byte(s))
		f.Add(uint8(1), []byte(s))
	}
	f.Fuzz(func(t *testing.T, kind uint8, doc []byte) {
		newDoc := requestTypes[int(kind)%len(requestTypes)]
		got := newDoc()
		err := schema.DecodeBytes(doc, got)
		if err != nil {
			var ve *schema.ValidationError
			if !errors.As(err, &ve) || len(ve.Errors) == 0 {
				t.Fatalf("%q: error %v (%T), want a *ValidationError", doc, err, err)
			}
			return
		}
		want := newDoc()
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.DisallowUnknownFields()
		if err := dec.Decode(want); err != nil {
			t.Fatalf("%q: accepted, but encoding/json refuses it: %v", doc, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: read as\n%+v\nencoding/json reads\n%+v", doc, got, want)
		}
	})
}

// TestRejectNulls: the first null member or element is named; members
// named opaque are not looked into; a document without null passes.
func TestRejectNulls(t *testing.T) {
	type inner struct {
		C *int `json:"c"`
	}
	type doc struct {
		A       string          `json:"a"`
		B       []inner         `json:"b"`
		Request json.RawMessage `json:"request"`
	}
	tests := []struct{ in, field string }{
		{`{"a":"x","b":[{"c":1}],"request":{"x":null}}`, ""},
		{`{"a":null}`, "a"},
		{`{"a":"request","b":[{"c":1},{"c":null}]}`, "b[1].c"},
		{`{"b":[null]}`, "b[0]"},
		{`{"request":null,"a":null}`, "a"},
		{`null`, ""},
	}
	for _, tc := range tests {
		err := schema.RejectNulls([]byte(tc.in), new(doc), "request")
		var ve *schema.ValidationError
		switch {
		case tc.field == "" && tc.in == "null":
			if !errors.As(err, &ve) || ve.Errors[0].Field != "" {
				t.Errorf("%s: %v, want the body named", tc.in, err)
			}
		case tc.field == "":
			if err != nil {
				t.Errorf("%s: %v", tc.in, err)
			}
		case !errors.As(err, &ve) || ve.Errors[0].Field != tc.field || ve.Errors[0].Reason != schema.ReasonType:
			t.Errorf("%s: %v, want %s wrong_type", tc.in, err, tc.field)
		}
	}
}
