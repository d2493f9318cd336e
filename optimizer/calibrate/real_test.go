package calibrate

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

func loadRealRows(t testing.TB) []schema.CalibrationRow {
	t.Helper()
	f, err := os.Open("testdata/nfl_weekly_projections_vs_actuals.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ReadRows(gz)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestRealData calibrates the real NFL history (46k rows) with the defaults
// and checks the fit against the facts measured on it (data README).
func TestRealData(t *testing.T) {
	if testing.Short() {
		t.Skip("real data set: about 10 s of CPU")
	}
	rows := loadRealRows(t)
	req := &schema.CalibrateRequest{Sport: "nfl", Rows: rows, Seed: 1}
	start := time.Now()
	res, err := Run(context.Background(), req, nil)
	var nc *NotConvergedError
	if errors.As(err, &nc) {
		res = nc.Result
	}
	if res == nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(res, "", " ")
	t.Logf("Run: %v\n%s", time.Since(start), b)
	if err != nil {
		t.Fatal(err)
	}
	val := map[string]float64{}
	for _, p := range res.Parameters {
		val[p.Name] = p.Mean
	}
	ranges := []struct {
		name   string
		lo, hi float64
	}{
		{"QB.bias", 0.85, 1.0}, {"RB.bias", 0.9, 1.1}, {"WR.bias", 0.9, 1.05}, {"TE.bias", 0.9, 1.05},
		// README: residual sd grows with the projection, about 5.7 at 5-10
		// and 8.5 at 15-20 for RB/WR, 7.4 to 8.4 from 10-15 to 20-25 for QB.
		{"QB.sd_slope", 0.0, 0.25}, {"RB.sd_slope", 0.2, 0.7}, {"WR.sd_slope", 0.2, 0.7},
		{"QB.shape", 0.05, 0.6}, {"TE.shape", 0.5, 1},
		// README: QB-WR1 0.36, QB-WR2 0.35, QB-TE1 0.30, QB-RB1 0.10, WR1-WR2 0.00.
		{"QB-WR.same_team", 0.2, 0.45}, {"QB-TE.same_team", 0.15, 0.4}, {"QB-RB.same_team", -0.05, 0.2},
		{"WR-WR.same_team", -0.1, 0.1}, {"QB-QB.opponent", 0.05, 0.35},
	}
	for _, r := range ranges {
		if v, ok := val[r.name]; !ok || v < r.lo || v > r.hi {
			t.Errorf("%s = %.4f (present %v), want in [%g, %g]", r.name, v, ok, r.lo, r.hi)
		}
	}
	rep := res.Report
	for _, lvl := range []string{"50", "80", "90"} {
		want := map[string]float64{"50": 0.5, "80": 0.8, "90": 0.9}[lvl]
		if math.Abs(rep.CoverageAfter[lvl]-want) > 0.05 || math.Abs(rep.CoverageAfter[lvl]-want) >= math.Abs(rep.CoverageBefore[lvl]-want) {
			t.Errorf("coverage %s%%: before %.3f after %.3f", lvl, rep.CoverageBefore[lvl], rep.CoverageAfter[lvl])
		}
	}
	if rep.LogScoreAfter <= rep.LogScoreBefore {
		t.Errorf("log score after %.3f not above before %.3f", rep.LogScoreAfter, rep.LogScoreBefore)
	}
}
