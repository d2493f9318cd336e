package ownership

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// fixture is one evaluation slate from testdata: the players, their actual
// ownership (NaN where unknown) and the projected ownership that ships with
// the public data (NaN where the source gives none).
type fixture struct {
	name    string
	sport   slate.Sport
	players []slate.Player
	actual  []float64
	shipped []float64
	// teamTotals are implied team points (Vegas) where the source has them.
	teamTotals map[string]float64
}

// fixtureHeader is the column layout of testdata/*.csv.
var fixtureHeader = []string{"id", "name", "positions", "team", "opponent", "game", "salary", "projection", "actual", "shipped", "team_total"}

// fixtureSlates lists the fixtures, their sport and file.
func fixtureSlates() []struct {
	name  string
	sport slate.Sport
	file  string
} {
	return []struct {
		name  string
		sport slate.Sport
		file  string
	}{
		{"dk-nfl-2019-09-08", slate.NFL, "testdata/dk-nfl-2019-09-08.csv"},
		{"dk-nba-2025-01-12", slate.NBA, "testdata/dk-nba-2025-01-12.csv"},
	}
}

func fmtFrac(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 6, 64)
}

func parseFrac(s string) (float64, error) {
	if s == "" {
		return math.NaN(), nil
	}
	return strconv.ParseFloat(s, 64)
}

// writeFixture writes a fixture as CSV: '#' provenance lines, then the header
// and one row per player.
func writeFixture(w io.Writer, provenance []string, f *fixture) error {
	for _, p := range provenance {
		if _, err := fmt.Fprintf(w, "# %s\n", p); err != nil {
			return err
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(fixtureHeader); err != nil {
		return err
	}
	for i, p := range f.players {
		tt := ""
		if v, ok := f.teamTotals[p.Team]; ok {
			tt = strconv.FormatFloat(v, 'f', -1, 64)
		}
		rec := []string{p.ID, p.Name, strings.Join(p.Positions, "/"), p.Team, p.Opponent, p.Game,
			strconv.Itoa(p.Salary), strconv.FormatFloat(p.Projection, 'f', -1, 64), fmtFrac(f.actual[i]), fmtFrac(f.shipped[i]), tt}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// readFixture reads a fixture written by writeFixture.
func readFixture(r io.Reader, name string, sport slate.Sport) (*fixture, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != strings.Join(fixtureHeader, ",") {
		return nil, fmt.Errorf("%s: unexpected header", name)
	}
	f := &fixture{name: name, sport: sport}
	for _, rec := range rows[1:] {
		sal, err := strconv.Atoi(rec[6])
		if err != nil {
			return nil, fmt.Errorf("%s: salary %q: %w", name, rec[6], err)
		}
		proj, err := strconv.ParseFloat(rec[7], 64)
		if err != nil {
			return nil, fmt.Errorf("%s: projection %q: %w", name, rec[7], err)
		}
		act, err := parseFrac(rec[8])
		if err != nil {
			return nil, err
		}
		shp, err := parseFrac(rec[9])
		if err != nil {
			return nil, err
		}
		if rec[10] != "" {
			v, err := strconv.ParseFloat(rec[10], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: team_total %q: %w", name, rec[10], err)
			}
			if f.teamTotals == nil {
				f.teamTotals = map[string]float64{}
			}
			f.teamTotals[rec[3]] = v
		}
		f.players = append(f.players, slate.Player{ID: rec[0], Name: rec[1], Positions: strings.Split(rec[2], "/"),
			Team: rec[3], Opponent: rec[4], Game: rec[5], Salary: sal, Projection: proj})
		f.actual = append(f.actual, act)
		f.shipped = append(f.shipped, shp)
	}
	return f, nil
}

// loadFixtures reads every testdata fixture; they are committed, so this
// never skips.
func loadFixtures(t testing.TB) []*fixture {
	t.Helper()
	var out []*fixture
	for _, s := range fixtureSlates() {
		fh, err := os.Open(s.file)
		if err != nil {
			t.Fatalf("open fixture: %v", err)
		}
		f, err := readFixture(fh, s.name, s.sport)
		fh.Close()
		if err != nil {
			t.Fatalf("read fixture %s: %v", s.file, err)
		}
		out = append(out, f)
	}
	return out
}

func (f *fixture) rules(t testing.TB) *slate.Rules {
	t.Helper()
	r, err := slate.RulesFor(slate.DraftKings, f.sport, slate.Classic)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *fixture) fitSlate(t testing.TB) FitSlate {
	return FitSlate{Name: f.name, Rules: f.rules(t), Players: f.players, Actual: f.actual, TeamTotals: f.teamTotals}
}

// evalMask returns, for the comparison with the shipped projections, the
// actual ownership restricted to players where both actual and shipped are
// known (NaN elsewhere).
func (f *fixture) evalActual() []float64 {
	out := make([]float64, len(f.actual))
	for i := range out {
		if math.IsNaN(f.shipped[i]) {
			out[i] = math.NaN()
		} else {
			out[i] = f.actual[i]
		}
	}
	return out
}
