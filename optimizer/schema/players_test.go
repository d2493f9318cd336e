package schema

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// libraryDecode decodes b into v as DecodeBytes does, but by the library
// alone, without the player scanner. (Documents that decode themselves,
// SimulateRequest and others, still use the scanner inside: the
// comparison is exact for OptimizeRequest and OwnershipRequest.)
func libraryDecode(b []byte, v any) error {
	return decodeBytes(b, v, func(b []byte, v any) error { return jsonv2.Unmarshal(b, v, strictOptions) })
}

// sameDecode checks that DecodeBytes reads doc into a fresh document of
// newDoc's type as the library alone does: the same value, or the same
// error.
func sameDecode(t *testing.T, doc []byte, newDoc func() any) {
	t.Helper()
	got, want := newDoc(), newDoc()
	gotErr, wantErr := DecodeBytes(doc, got), libraryDecode(doc, want)
	if !reflect.DeepEqual(gotErr, wantErr) {
		t.Fatalf("%q: error %v, the library's %v", doc, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: read as\n%+v\nthe library reads\n%+v", doc, got, want)
	}
}

// requestKinds make a fresh document of each request type with players.
var requestKinds = []func() any{
	func() any { return new(OptimizeRequest) },
	func() any { return new(SimulateRequest) },
	func() any { return new(ContestSimRequest) },
	func() any { return new(OwnershipRequest) },
	func() any { return new(PortfolioRequest) },
}

// TestPlayerScanner: lists the scanner reads come out as the library
// reads them, and everything it leaves to the library is decoded, or
// refused, as the library alone does it.
func TestPlayerScanner(t *testing.T) {
	scanned := []string{
		`[]`,
		` [ ] `,
		`[{}]`,
		`[{"id":"p1","name":"Zoë Ünïcode","positions":["PG","SG"],"team":"OKC","opponent":"WAS","game":"OKC@WAS","salary":10700,"projection":60.87,"stddev":21.98,"ownership":0.4421}]`,
		"[ {\n\t\"id\" : \"a\" ,\r\n \"positions\" : [ ] , \"salary\" : -0 , \"projection\" : -1.5e-3 } , { \"id\" : \"b\" , \"positions\" : [ \"C\" ] } ]",
		`[{"id":"a","floor":1E2,"ceiling":0,"status":"Q","captain_id":"c","captain_salary":15000,"game_started":true},{"id":"b","game_started":false}]`,
		`[{"salary":9223372036854775807,"projection":1e308}]`,
	}
	for _, list := range scanned {
		if l, ok := parsePlayers([]byte(strings.TrimSpace(list))); !ok || l.size != len(strings.TrimSpace(list)) {
			t.Errorf("%s: the scanner declined it (or read %d bytes)", list, l.size)
		}
		for _, newDoc := range requestKinds {
			sameDecode(t, []byte(`{"players":`+list+`}`), newDoc)
		}
	}
	declined := []string{
		`[{"id":"a\"b"}]`,                     // an escape in a value
		`[{"i\u0064":"a"}]`,                   // an escape in a name
		`[{"positions":["PG\u0020"]}]`,        // an escape in a list
		`[{"ID":"a"}]`,                        // not a member name
		`[{"bogus":1}]`,                       // unknown member
		`[{"id":"a"},{"id":"b","bogus":[1]}]`, // unknown member in the second
		`[{"id":null}]`,                       // null
		`[null]`,                              // null player
		`[{"id":"a"},"x"]`,                    // not an object
		`[{"salary":1.5}]`,                    // fraction for an integer
		`[{"salary":1e3}]`,                    // exponent for an integer
		`[{"salary":99999999999999999999}]`,   // out of range
		`[{"projection":1e999}]`,              // out of range
		`[{"salary":"9000"}]`,                 // string for a number
		`[{"floor":true}]`,                    // boolean for a number
		`[{"positions":"PG"}]`,                // string for a list
		`[{"positions":["PG",1]}]`,            // number in a list of strings
		`[{"game_started":1}]`,                // number for a boolean
		// not JSON, which the library refuses as such
		`[{"id":"a","id":"b"}]`,
		"[{\"id\":\"\xff\"}]",
		"[{\"id\":\"a\tb\"}]",
		`[{"id":"a"}`,
		`[{"id":"a",}]`,
		`[{"id":"a"},]`,
		`[{"id":"a"} {"id":"b"}]`,
		`[{"id" "a"}]`,
		`[{"positions":["A",]}]`,
		`[{"positions":["A" "B"]}]`,
		`[{"salary":01}]`,
		`[{"salary":-}]`,
		`[{"salary":+1}]`,
		`[{"projection":1.}]`,
		`[{"projection":.5}]`,
		`[{"projection":1e}]`,
		`[{"projection":1e+}]`,
		`[{"projection":1.5x}]`,
		`[{"game_started":tru}]`,
		`[{"game_started":truex}]`,
	}
	for _, list := range declined {
		if _, ok := parsePlayers([]byte(list)); ok {
			t.Errorf("%s: the scanner read it", list)
		}
		for _, newDoc := range requestKinds {
			sameDecode(t, []byte(`{"players":`+list+`}`), newDoc)
			sameDecode(t, []byte(`{"site":"draftkings","players":`+list+`,"lineups":2}`), newDoc)
		}
	}
	// Documents around the list: the library's, whole or for the rest.
	for _, doc := range []string{`{"players":null}`, `{"players":{}}`, `{"players":"x"}`, `{"players":[{"id":"a"}],"bogus":1}`,
		`{"players":[{"id":"a"}],"players":[]}`, `{"pl\u0061yers":[{"id":"a"}]}`, `{"pl\u0061yers":[],"players":[{"id":"a"}]}`,
		`{"site":"x\"players\":[]","players":[{"id":"a"}]}`, `{"constraints":{"players":[{"id":"a"}]},"players":[{"id":"b"}]}`,
		`{"lineups":2,"players":[{"id":"a"}],"lineups":3}`, `{"lineups":2 "players":[{"id":"a"}]}`, `{"lineups":[2}],"players":[{"id":"a"}]}`,
		`{"players":[{"id":"a"}]} x`, `{"players":[{"id":"a"}]`, ` {"players":[]} `, `[{"players":[]}]`, `{"lineups":-1,"players":[{"salary":1}],"site":"dk"}`} {
		for _, newDoc := range requestKinds {
			sameDecode(t, []byte(doc), newDoc)
		}
	}
}

// TestPlayerScannerKnowsEveryMember: a player with every member of
// slate.Player set is read by the scanner, as the library reads it. A
// member added to slate.Player and not to the scanner fails here (the
// scanner would leave every list holding it to the library: right, but
// slow).
func TestPlayerScannerKnowsEveryMember(t *testing.T) {
	var p slate.Player
	v := reflect.ValueOf(&p).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("s" + v.Type().Field(i).Name)
		case reflect.Int:
			f.SetInt(int64(100 + i))
		case reflect.Float64:
			f.SetFloat(float64(i) + 0.25)
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{"PG", "SG"}))
		case reflect.Pointer:
			x := float64(i) * 1.5
			f.Set(reflect.ValueOf(&x))
		default:
			t.Fatalf("member %s: kind %s the test cannot fill", v.Type().Field(i).Name, f.Kind())
		}
		if f.IsZero() {
			t.Fatalf("member %s: left zero", v.Type().Field(i).Name)
		}
	}
	doc, err := json.Marshal([]slate.Player{p})
	if err != nil {
		t.Fatal(err)
	}
	list, ok := parsePlayers(doc)
	got := list.players
	if !ok {
		t.Fatalf("the scanner declined %s", doc)
	}
	if !reflect.DeepEqual(got, []slate.Player{p}) {
		t.Fatalf("read %+v, want %+v", got[0], p)
	}
}

// TestShortFloat: numbers of up to 15 digits read as strconv.ParseFloat
// reads them, bit for bit; others are left to it.
func TestShortFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	check := func(num string, short bool) {
		t.Helper()
		s := playerScanner{src: []byte(num + ","), str: num + ","}
		got, ok := s.shortFloat()
		if ok != short {
			t.Fatalf("%s: read %v, want %v", num, ok, short)
		}
		if want, _ := strconv.ParseFloat(num, 64); ok && (math.Float64bits(got) != math.Float64bits(want) || s.pos != len(num)) {
			t.Fatalf("%s: %v (pos %d), strconv reads %v", num, got, s.pos, want)
		}
	}
	for range 200000 {
		digits := strconv.FormatUint(rng.Uint64N(1_000_000_000_000_000), 10) // up to 15 digits
		num := digits
		if p := rng.IntN(len(digits) + 1); p < len(digits) {
			num = digits[:p] + "." + digits[p:]
			if p == 0 {
				num = "0" + num
			}
		}
		if rng.IntN(2) == 0 {
			num = "-" + num
		}
		check(num, len(strings.Trim(num, "-."))-strings.Count(num, ".") <= 15) // digits
	}
	for _, c := range []struct {
		num   string
		short bool
	}{{"0", true}, {"-0", true}, {"60.87", true}, {"0.4421", true}, {"123456789012345", true}, {"1234567890123456", false},
		{"0.00000000000001", true}, {"1e3", false}, {"1.5E2", false}, {"01", false}, {"00.5", false}, {"1.", false},
		{".5", false}, {"-", false}, {"", false}, {"1.2.3", false}} {
		check(c.num, c.short)
	}
}

// TestDefaultSpread: the players whose object gives no spread (no
// "stddev", not both "floor" and "ceiling") are listed in DefaultStdDev,
// the same whether the scanner read the list or the library did (an
// escape in a name sends it to the library).
func TestDefaultSpread(t *testing.T) {
	players := `[{"id":"a","stddev":0},{"id":"b"},{"id":"c","floor":1},{"id":"d","floor":1,"ceiling":9},{"id":"e","ceiling":9},{"id":"f","stddev":2,"floor":1}]`
	want := []string{"x", "b", "c", "e"}
	for _, doc := range []string{
		`{"default_stddev":["x"],"players":` + players + `}`,
		`{"default_stddev":["x"],"players":` + strings.Replace(players, `"b"`, `"\u0062"`, 1) + `}`,
	} {
		for _, newDoc := range []func() any{
			func() any { return new(SimulateRequest) }, func() any { return new(ContestSimRequest) }, func() any { return new(PortfolioRequest) },
		} {
			v := newDoc()
			if err := DecodeBytes([]byte(doc), v); err != nil {
				t.Fatalf("%T: %v", v, err)
			}
			got := reflect.ValueOf(v).Elem().FieldByName("DefaultStdDev").Interface().([]string)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%T from %s: default spread for %v, want %v", v, doc, got, want)
			}
		}
	}
}

// TestScanDecodeExamples: the examples' documents are read by the
// scanner (not left to the library whole), as the library reads them.
func TestScanDecodeExamples(t *testing.T) {
	for _, c := range []struct {
		file   string
		newDoc func() any
	}{
		{"optimize-dk-nba-2025-01-12.json", func() any { return new(OptimizeRequest) }},
		{"optimize-nba.json", func() any { return new(OptimizeRequest) }},
		{"ownership-dk-nba-2025-01-12.json", func() any { return new(OwnershipRequest) }},
		// These decode themselves: the scanner serves their inner decode.
		{"simulate-dk-nba-2025-01-12.json", func() any { return new(SimulateRequest) }},
		{"contest-sim-dk-nba-2025-01-12.json", func() any { return new(ContestSimRequest) }},
		{"portfolio-dk-nba-2025-01-12.json", func() any { return new(PortfolioRequest) }},
	} {
		doc, err := os.ReadFile(filepath.Join("..", "..", "examples", c.file))
		if err != nil {
			t.Fatal(err)
		}
		sameDecode(t, doc, c.newDoc)
		v := c.newDoc()
		if playersField(v) == nil {
			if _, ok := v.(jsonv2.Unmarshaler); !ok {
				t.Errorf("%s: no player list found in %T", c.file, v)
			}
			continue
		}
		if _, ok := scanDecode(doc, v); !ok {
			t.Errorf("%s: left to the library", c.file)
		}
	}
}

// TestPlayerScannerLists: the players' position lists do not share
// capacity: appending to one leaves the next alone.
func TestPlayerScannerLists(t *testing.T) {
	list, ok := parsePlayers([]byte(`[{"positions":["PG"]},{"positions":["C","PF"]}]`))
	got := list.players
	if !ok {
		t.Fatal("declined")
	}
	_ = append(got[0].Positions, "X")
	if got[1].Positions[0] != "C" {
		t.Fatalf("appending to the first list wrote into the second: %v", got[1].Positions)
	}
}

// firstPlayers returns doc with its first n players only: a seed the
// fuzzer can work on (it minimizes the inputs it finds new, byte by byte:
// a whole slate's would stall it).
func firstPlayers(f *testing.F, doc []byte, n int) []byte {
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		f.Fatal(err)
	}
	if ps, ok := m["players"].([]any); ok && len(ps) > n {
		m["players"] = ps[:n]
	}
	out, err := json.Marshal(m)
	if err != nil {
		f.Fatal(err)
	}
	return out
}

// FuzzPlayerScanner: any document decodes (or is refused) exactly as the
// library alone decodes (or refuses) it. The seeds are the examples' and
// the end-to-end tests' request documents, cut to their first players.
func FuzzPlayerScanner(f *testing.F) {
	for _, pattern := range []string{"../../examples/*.json", "../../api/e2e/testdata/*.json"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			doc, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			if !bytes.Contains(doc, []byte(`"players"`)) {
				continue
			}
			f.Add(uint8(0), firstPlayers(f, doc, 6))
		}
	}
	for _, s := range []string{`{"players":[{"id":"a","salary":-0,"positions":[]}]}`, `{"players":[{"salary":1e2}]}`, `{"players":[{"id":"\u00e9"}]}`} {
		f.Add(uint8(0), []byte(s))
	}
	f.Fuzz(func(t *testing.T, kind uint8, doc []byte) {
		sameDecode(t, doc, requestKinds[int(kind)%len(requestKinds)])
	})
}

// BenchmarkDecodePlayers decodes the real slate's optimize request (209
// players, 35 kB pretty-printed) with the scanner (as DecodeBytes does)
// and by the library alone: their ratio is the scanner's gain.
func BenchmarkDecodePlayers(b *testing.B) {
	doc, err := os.ReadFile("../../examples/optimize-dk-nba-2025-01-12.json")
	if err != nil {
		b.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, doc); err != nil {
		b.Fatal(err)
	}
	doc = compact.Bytes()
	for _, bc := range []struct {
		name   string
		decode func([]byte, any) error
	}{{"scanner", DecodeBytes}, {"library", libraryDecode}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				var r OptimizeRequest
				if err := bc.decode(doc, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeContestSim decodes the real slate's contest-sim request
// (209 players, a field of 1,000): the document decodes itself, and lists
// the players without a spread.
func BenchmarkDecodeContestSim(b *testing.B) {
	doc, err := os.ReadFile("../../examples/contest-sim-dk-nba-2025-01-12.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		var r ContestSimRequest
		if err := DecodeBytes(doc, &r); err != nil {
			b.Fatal(err)
		}
	}
}
