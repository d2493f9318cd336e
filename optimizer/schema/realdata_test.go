package schema_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/sitecsv"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// realSlates returns the site salary files of the shared data folder
// (../../../shared/data/slates, or $DFSOPT_SHARED_DATA/slates), skipping
// loudly when it is not there.
func realSlates(t testing.TB) []string {
	t.Helper()
	dir := "../../../shared/data/slates"
	if env := os.Getenv("DFSOPT_SHARED_DATA"); env != "" {
		dir = filepath.Join(env, "slates")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("SKIPPING real-data test: %s not found (%v)", dir, err)
	}
	var files []string
	for _, pattern := range []string{"*/DKSalaries*.csv", "*/DKUploadTemplate.csv", "fd/*.csv"} {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 17 {
		t.Fatalf("found %d salary files under %s, want the 17 of the data set", len(files), dir)
	}
	return files
}

// importSlate builds the optimize request of a salary file.
func importSlate(t testing.TB, file string) *schema.OptimizeRequest {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	req, _, err := sitecsv.BuildOptimizeRequest(f, nil, sitecsv.RequestOptions{Lineups: 20})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return req
}

// TestRealSlatesValidate: every real site salary file, imported, passes
// Validate as is and with constraints naming its own players, teams and
// positions (the checks must not refuse what the sites publish).
func TestRealSlatesValidate(t *testing.T) {
	for _, file := range realSlates(t) {
		t.Run(filepath.Base(filepath.Dir(file))+"/"+filepath.Base(file), func(t *testing.T) {
			req := importSlate(t, file)
			if err := req.Validate(); err != nil {
				t.Fatalf("%d players: %v", len(req.Players), describe(err))
			}
			site, sport, mode, _ := req.Normalized()
			rules, err := slate.RulesFor(site, sport, mode)
			if err != nil {
				t.Fatal(err)
			}
			// Constraints over the slate's own ids, team and positions.
			ps := req.Players
			half := 0.5
			req.Constraints = schema.Constraints{
				MinUnique: rules.Size(), MinSalary: rules.SalaryCap - 2000, MinGames: 1,
				Locks: []string{ps[0].ID}, Excludes: []string{ps[1].ID, ps[2].ID},
				Exposures: map[string]schema.ExposureRange{ps[3].ID: {Max: &half}},
				Stacks: []schema.Stack{{Positions: []string{ps[0].Positions[0], ps[4].Positions[0] + "|" + ps[5].Positions[0]},
					Team: ps[0].Team, BringBack: 1, BringBackPositions: ps[6].Positions}},
			}
			if err := req.Validate(); err != nil {
				t.Fatalf("with constraints %+v: %v", req.Constraints, describe(err))
			}
		})
	}
}

// TestRealSlateUnderTheWrongSport: the 720-player NFL slate posted as NBA
// is refused position by position, the list cut at MaxFieldErrors.
func TestRealSlateUnderTheWrongSport(t *testing.T) {
	req := importSlate(t, nflSlate(t))
	req.Sport = "nba"
	var ve *schema.ValidationError
	if err := req.Validate(); !errors.As(err, &ve) {
		t.Fatalf("want a validation error, got %v", err)
	}
	if n := len(ve.Errors); n != schema.MaxFieldErrors+1 || ve.Errors[0].Field != "players[0].positions[0]" ||
		ve.Errors[n-1].Reason != schema.ReasonTooMany || !strings.Contains(ve.Errors[n-1].Message, "620 more") {
		t.Fatalf("got %d errors, first %+v, last %+v", n, ve.Errors[0], ve.Errors[n-1])
	}
}

// nflSlate is the 720-player DraftKings NFL slate of 2019-09-08.
func nflSlate(t testing.TB) string {
	for _, f := range realSlates(t) {
		if strings.HasSuffix(f, "dk-nfl-2019-09-08/DKSalaries.csv") {
			return f
		}
	}
	t.Fatal("dk-nfl-2019-09-08/DKSalaries.csv not found")
	return ""
}

// BenchmarkOptimizeValidate validates the 720-player NFL slate with
// constraints naming players, teams and positions (the gateway runs
// Validate on every submit).
func BenchmarkOptimizeValidate(b *testing.B) {
	req := importSlate(b, nflSlate(b))
	ps := req.Players
	half := 0.5
	req.Constraints = schema.Constraints{MinUnique: 3, MinSalary: 49000, MaxExposure: &half,
		Locks: []string{ps[0].ID}, Excludes: []string{ps[1].ID, ps[2].ID, ps[3].ID},
		Exposures: map[string]schema.ExposureRange{ps[10].ID: {Max: &half}, ps[11].ID: {Min: &half}},
		Stacks:    []schema.Stack{{Positions: []string{"QB", "WR|TE", "WR|TE"}, Team: ps[0].Team, BringBack: 1}}}
	if err := req.Validate(); err != nil {
		b.Fatal(describe(err))
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := req.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

// describe lists every field error of a validation error.
func describe(err error) string {
	ve, ok := err.(*schema.ValidationError)
	if !ok {
		return err.Error()
	}
	s := ""
	for _, e := range ve.Errors {
		s += "\n  " + e.Field + " " + e.Reason + ": " + e.Message
	}
	return s
}

// BenchmarkDecodeSlateRequest decodes an optimize request carrying the
// 720-player DraftKings NFL slate of 2019-09-08 inline (about 95 kB), as
// the gateway and the worker do for a request without slate_id.
func BenchmarkDecodeSlateRequest(b *testing.B) {
	doc, err := json.Marshal(importSlate(b, nflSlate(b)))
	if err != nil {
		b.Fatal(err)
	}
	benchmarkDecode(b, doc)
}
